import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";

import { checkPasswordPolicy, isCommonPassword } from "./password-policy";

// The estimator's own words (zxcvbn-ts's English translations).
const SIMILAR_TO_COMMON = "This is similar to a commonly used password.";
const REPEATS = 'Repeated characters like "aaa" are easy to guess.';
const SEQUENCES = 'Common character sequences like "abc" are easy to guess.';
const KEYBOARD_ROW = "Straight rows of keys on your keyboard are easy to guess.";
const CONTEXT = "There should not be any personal or page related data.";
const ADVICE = "Add more words that are less common.";

type Case = { password: string; username?: string; warning: string };

/**
 * Each class of guessable password the shipped list let through: none of these
 * is on the list or contains the username, so only the strength estimate refuses
 * them, with what is wrong and how to do better.
 */
const GUESSABLE: Record<string, Case[]> = {
  "a common word with digits appended": [
    { password: "butterfly2024", warning: SIMILAR_TO_COMMON },
    { password: "sunshine1234567", warning: SIMILAR_TO_COMMON },
    { password: "baseball19871987", warning: SIMILAR_TO_COMMON },
    // The estimator has no warning for this one: a general sentence stands in.
    { password: "Chocolate12345", warning: "This password is easy to guess." },
  ],
  "leetspeak with a year and punctuation": [
    { password: "P@ssw0rd2024!", warning: SIMILAR_TO_COMMON },
    { password: "$unsh1ne2024!", warning: SIMILAR_TO_COMMON },
    { password: "B@seb@ll1987!", warning: SIMILAR_TO_COMMON },
    { password: "F00tb@ll#2021", warning: SIMILAR_TO_COMMON },
  ],
  "a keyboard walk with digits": [
    { password: "qazwsxedc2024", warning: SIMILAR_TO_COMMON },
    { password: "poiuytrewq9876", warning: SIMILAR_TO_COMMON },
    { password: "qwerasdfzxcv12", warning: SIMILAR_TO_COMMON },
    { password: "zxcvbnm,./123", warning: KEYBOARD_ROW },
  ],
  "a long run of one character": [
    { password: "aaaaaaaaaaaaaaaa", warning: REPEATS },
    { password: "zzzzzzzzzzzz1", warning: REPEATS },
    { password: "!".repeat(40), warning: REPEATS },
  ],
  "a sequence": [
    { password: "abcdefghijklmno", warning: SEQUENCES },
    { password: "9876543210zyx", warning: SEQUENCES },
    { password: "ABCDEFGHIJ123456", warning: SEQUENCES },
  ],
  "the username, disguised, or the product's name": [
    // Leetspeak and reversed spellings of the username get past "must not contain the username".
    { password: "M@rig0ld2024!", username: "marigold", warning: CONTEXT },
    { password: "dlogiram-1234", username: "marigold", warning: CONTEXT },
    { password: "b0b.sm1th!2024", username: "bob.smith", warning: CONTEXT },
    { password: "keycard123456", warning: CONTEXT },
    { password: "Keycard2024!", warning: CONTEXT },
    { password: "K3yc4rd!2024", warning: CONTEXT },
  ],
};

describe("the strength estimate refuses guessable passwords the list misses", () => {
  for (const [kind, cases] of Object.entries(GUESSABLE)) {
    it.each(cases)(`${kind}: %j`, async ({ password, username = "alice", warning }) => {
      expect(isCommonPassword(password)).toBe(false);
      expect(password.toLowerCase()).not.toContain(username);
      expect(await checkPasswordPolicy(password, username)).toBe(`${warning} ${ADVICE}`);
    });
  }

  it("checks the product's name even when the username is unusable (sign-up reports that on its own field)", async () => {
    expect(await checkPasswordPolicy("keycard123456", "")).toBe(`${CONTEXT} ${ADVICE}`);
  });

  it("never puts the password in its reason", async () => {
    for (const cases of Object.values(GUESSABLE)) {
      for (const { password, username = "alice" } of cases) {
        expect(await checkPasswordPolicy(password, username)).not.toContain(password);
      }
    }
  });
});

describe("the strength estimate welcomes passphrases and random passwords", () => {
  it.each([
    "correct horse battery staple",
    "lantern-orbit-5729",
    "vellum otter quasar",
    "A perfectly good passphrase",
    "Ünïcødé lantern fjord 🦦",
    // The longest a password may be: 72 bytes.
    "correct horse battery staple and a lantern orbiting the moon 5729 xyzzy!",
  ])("accepts %j", async (password) => {
    expect(await checkPasswordPolicy(password, "alice")).toBeNull();
  });

  it("accepts the password the benchmark seeds its users with", async () => {
    expect(await checkPasswordPolicy("lantern-orbit-5729", "bench")).toBeNull();
  });

  it("accepts random 16-character strings", async () => {
    for (let i = 0; i < 50; i++) {
      const password = randomBytes(12).toString("base64url");
      expect(await checkPasswordPolicy(password, "alice"), password).toBeNull();
    }
  });
});
