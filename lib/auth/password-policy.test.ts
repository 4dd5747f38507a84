import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";

import { getMinPasswordLength } from "../config";
import { checkPasswordPolicy, isCommonPassword } from "./password-policy";

const TOO_COMMON = "That password is too common. Choose another.";
const LIST = readFileSync(new URL("./data/common-passwords.txt", import.meta.url), "utf8").split("\n").filter(Boolean);

/** An uncommon password of exactly `length` characters. */
const uncommon = (length: number) => "vellum-otter-quasar-lantern-fjord-mosaic-tundra-pebble-orchid-zephyr".slice(0, length);

/** `count` different emoji: one emoji repeated would be refused as a run of one character. */
const emoji = (count: number) => [..."🔑🦊🔒🦦🌲🐝🌊🔥🌙🐙🍀🎈🐢🦉🍄🌵🎻🧭🪁"].slice(0, count).join("");

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("checkPasswordPolicy", () => {
  it("accepts a long-enough password unrelated to the username", async () => {
    expect(await checkPasswordPolicy("correct horse battery", "alice")).toBeNull();
    expect(await checkPasswordPolicy(uncommon(12), "alice")).toBeNull();
  });

  it("refuses fewer than 12 characters by default", async () => {
    expect(await checkPasswordPolicy(uncommon(11), "alice")).toBe("Password must be at least 12 characters.");
    expect(await checkPasswordPolicy("", "alice")).toBe("Password must be at least 12 characters.");
  });

  it("counts characters as code points: 12 emoji are 12 characters, 11 are too few", async () => {
    // Each emoji is 2 UTF-16 units and 4 UTF-8 bytes.
    expect(await checkPasswordPolicy(emoji(12), "alice")).toBeNull();
    expect(await checkPasswordPolicy(emoji(11), "alice")).toBe("Password must be at least 12 characters.");
  });

  it("refuses more than 72 bytes, even when the character count looks fine", async () => {
    expect(await checkPasswordPolicy("a".repeat(73), "alice")).toBe("Password must be at most 72 bytes.");
    // 19 emoji = 76 bytes.
    expect(await checkPasswordPolicy(emoji(19), "alice")).toBe("Password must be at most 72 bytes.");
    expect(await checkPasswordPolicy(emoji(18), "alice")).toBeNull();
  });

  it("refuses a password containing the username, case-insensitively", async () => {
    const reason = "Password must not contain the username.";
    expect(await checkPasswordPolicy("alice-is-my-password", "alice")).toBe(reason);
    expect(await checkPasswordPolicy("my password is ALICE!", "alice")).toBe(reason);
    expect(await checkPasswordPolicy("my password is alice!", "Alice")).toBe(reason);
    expect(await checkPasswordPolicy("a-l-i-c-e-password", "alice")).toBeNull();
  });

  it("respects PASSWORD_MIN_LENGTH", async () => {
    vi.stubEnv("PASSWORD_MIN_LENGTH", "16");
    expect(getMinPasswordLength()).toBe(16);
    expect(await checkPasswordPolicy(uncommon(15), "alice")).toBe("Password must be at least 16 characters.");
    expect(await checkPasswordPolicy(uncommon(16), "alice")).toBeNull();

    vi.stubEnv("PASSWORD_MIN_LENGTH", "8");
    // Eight characters pass the length rule, then meet the strength estimate, which
    // puts any 8 characters at about 10^8 guesses: 9 random ones are enough.
    expect(await checkPasswordPolicy("vq2#Lm9x", "alice")).toBe("This password is easy to guess. Add more words that are less common.");
    expect(await checkPasswordPolicy("vq2#Lm9xT", "alice")).toBeNull();
    expect(await checkPasswordPolicy(uncommon(7), "alice")).toBe("Password must be at least 8 characters.");
  });

  it.each(["7", "65", "0", "-12", "12.5", "abc", "12abc", "Infinity"])(
    "throws a fix-it error for PASSWORD_MIN_LENGTH=%j",
    async (value) => {
      vi.stubEnv("PASSWORD_MIN_LENGTH", value);
      await expect(checkPasswordPolicy("a long enough password", "alice")).rejects.toThrow(/PASSWORD_MIN_LENGTH/);
    },
  );
});

describe("the common-password blocklist", () => {
  it.each(["1qaz2wsx3edc", "qwertyuiopasdfgh", "passwordpassword", "1234567890qwerty", "qwertyqwerty"])(
    "refuses %j in any letter case",
    async (password) => {
      expect(LIST).toContain(password);
      expect(await checkPasswordPolicy(password, "alice")).toBe(TOO_COMMON);
      expect(await checkPasswordPolicy(password.toUpperCase(), "alice")).toBe(TOO_COMMON);
      const mixed = [...password].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
      expect(await checkPasswordPolicy(mixed, "alice")).toBe(TOO_COMMON);
    },
  );

  it("also refuses shorter common passwords when PASSWORD_MIN_LENGTH allows them", async () => {
    vi.stubEnv("PASSWORD_MIN_LENGTH", "8");
    expect(await checkPasswordPolicy("Baseball", "alice")).toBe(TOO_COMMON);
    expect(await checkPasswordPolicy("12345678", "alice")).toBe(TOO_COMMON);
  });

  it("holds at least 10,000 passwords, lower-case, one per line", async () => {
    expect(LIST.length).toBeGreaterThanOrEqual(10_000);
    expect(new Set(LIST).size).toBe(LIST.length);
    expect(LIST.filter((entry) => entry !== entry.toLowerCase() || entry !== entry.trim())).toEqual([]);
    // Every entry is refused: the first, the last and everything between.
    expect(LIST.every(isCommonPassword)).toBe(true);
  });

  it("accepts a password that is not on the list, even one built from listed words", async () => {
    expect(isCommonPassword("qwertyqwerty")).toBe(true);
    expect(isCommonPassword("qwertyqwerty-pebble-orchid")).toBe(false);
    expect(await checkPasswordPolicy("qwertyqwerty-pebble-orchid", "alice")).toBeNull();
    expect(await checkPasswordPolicy(uncommon(30), "alice")).toBeNull();
  });
});
