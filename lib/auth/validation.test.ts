import { describe, expect, it } from "vitest";

import {
  checkPasswordChange,
  checkSignup,
  checkUsername,
  credentialsSchema,
  firstIssue,
  formString,
  normalizeUsername,
} from "./validation";

const GOOD = "vellum otter quasar";
const OTHER_GOOD = "lantern fjord mosaic";

/** The one message a sign-in form or API client would see for this input. */
function messageFor(input: unknown): string | null {
  const result = credentialsSchema.safeParse(input);
  return result.success ? null : firstIssue(result.error);
}

describe("normalizeUsername", () => {
  it("trims and lower-cases", () => {
    expect(normalizeUsername("  Alice \t")).toBe("alice");
    expect(normalizeUsername("ALICE")).toBe("alice");
  });

  it("folds fullwidth forms (NFKC), so ａｌｉｃｅ is alice", () => {
    expect(normalizeUsername("ａｌｉｃｅ")).toBe("alice");
    expect(normalizeUsername("\u3000ＡＬＩＣＥ\u3000")).toBe("alice");
    // Kelvin sign and compatibility digits too.
    expect(normalizeUsername("\u212Aate２")).toBe("kate2");
  });
});

describe("checkUsername", () => {
  it("accepts 3 to 32 allowed characters", () => {
    expect(checkUsername("bob")).toBeNull();
    expect(checkUsername("a".repeat(32))).toBeNull();
    expect(checkUsername("alice.b-c_d9")).toBeNull();
    expect(checkUsername("9lives")).toBeNull();
  });

  it("refuses too short or too long", () => {
    expect(checkUsername("ab")).toBe("Username must be 3 to 32 characters.");
    expect(checkUsername("")).toBe("Username must be 3 to 32 characters.");
    expect(checkUsername("a".repeat(33))).toBe("Username must be 3 to 32 characters.");
  });

  it.each(["al ice", "alice!", "álice", "alice@example", "alice\n", "ali/ce", "_alice", ".alice", "-alice"])(
    "refuses %j (disallowed character or does not start with a letter or digit)",
    (username) => {
      expect(checkUsername(username)).toMatch(/^Username may contain only .* must start with a letter or digit\.$/);
    },
  );
});

describe("credentialsSchema", () => {
  it("accepts credentials, normalising the username and leaving the password untouched", () => {
    const result = credentialsSchema.safeParse({ username: " ALICE ", password: "  pass word  " });
    expect(result.success && result.data).toEqual({ username: "alice", password: "  pass word  " });
  });

  it("gives a short message for each missing field", () => {
    expect(messageFor({})).toBe("username is required.");
    expect(messageFor({ username: "alice" })).toBe("password is required.");
    expect(messageFor({ password: "secret" })).toBe("username is required.");
  });

  it("gives a short message for non-string fields", () => {
    expect(messageFor({ username: 42, password: "secret" })).toBe("username must be a string.");
    expect(messageFor({ username: null, password: "secret" })).toBe("username must be a string.");
    expect(messageFor({ username: "alice", password: ["secret"] })).toBe("password must be a string.");
  });

  it("gives a short message for empty fields (a blank username counts as empty)", () => {
    expect(messageFor({ username: "", password: "secret" })).toBe("Enter your username.");
    expect(messageFor({ username: "   ", password: "secret" })).toBe("Enter your username.");
    expect(messageFor({ username: "alice", password: "" })).toBe("Enter your password.");
  });

  it("refuses a password over 72 UTF-8 bytes, and accepts one of exactly 72", () => {
    expect(messageFor({ username: "alice", password: "a".repeat(73) })).toBe("Password must be at most 72 bytes.");
    expect(messageFor({ username: "alice", password: "é".repeat(37) })).toBe("Password must be at most 72 bytes.");
    expect(messageFor({ username: "alice", password: "é".repeat(36) })).toBeNull();
  });

  it("refuses a username with a NUL character, which no database query could look up", () => {
    expect(messageFor({ username: "ali\u0000ce", password: "secret" })).toBe("username must not contain a NUL character.");
  });

  it("refuses an absurdly long username before normalising it", () => {
    expect(messageFor({ username: "a".repeat(257), password: "secret" })).toBe("username is too long.");
  });

  it("takes an optional code of up to 64 characters, and gives a short message for anything else", () => {
    const result = credentialsSchema.safeParse({ username: "alice", password: "secret", code: "123 456" });
    expect(result.success && result.data.code).toBe("123 456");
    expect(messageFor({ username: "alice", password: "secret", code: "a".repeat(64) })).toBeNull();
    expect(messageFor({ username: "alice", password: "secret", code: 123456 })).toBe("code must be a string.");
    expect(messageFor({ username: "alice", password: "secret", code: null })).toBe("code must be a string.");
    expect(messageFor({ username: "alice", password: "secret", code: "a".repeat(65) })).toBe("code is too long.");
  });

  it.each([null, undefined, "alice:secret", 42, [], ["alice", "secret"]])(
    "refuses the non-object %j with a message",
    (input) => {
      expect(messageFor(input)).toBe("Expected an object with username and password.");
    },
  );
});

describe("checkSignup", () => {
  it("accepts a new account, returning the normalised username", async () => {
    expect(await checkSignup({ username: "  Alice ", password: GOOD, confirm: GOOD })).toEqual({ ok: true, username: "alice" });
    expect(await checkSignup({ username: "ａｌｉｃｅ", password: GOOD, confirm: GOOD })).toEqual({ ok: true, username: "alice" });
  });

  it("applies the username rules after normalising", async () => {
    expect(await checkSignup({ username: " AB ", password: GOOD, confirm: GOOD })).toEqual({
      ok: false,
      errors: { username: "Username must be 3 to 32 characters." },
    });
    const result = await checkSignup({ username: "al ice", password: GOOD, confirm: GOOD });
    expect(result.ok === false && result.errors.username).toMatch(/^Username may contain only/);
    // Cut before normalising, so a huge field costs nothing, and still refused.
    expect(await checkSignup({ username: "a".repeat(100_000), password: GOOD, confirm: GOOD })).toEqual({
      ok: false,
      errors: { username: "Username must be 3 to 32 characters." },
    });
  });

  it("applies the password policy, including the blocklist, the (normalised) username and the strength estimate", async () => {
    expect(await checkSignup({ username: "alice", password: "short", confirm: "short" })).toEqual({
      ok: false,
      errors: { password: "Password must be at least 12 characters." },
    });
    expect(await checkSignup({ username: "alice", password: "1QAZ2WSX3EDC", confirm: "1QAZ2WSX3EDC" })).toEqual({
      ok: false,
      errors: { password: "That password is too common. Choose another." },
    });
    expect(await checkSignup({ username: "ALICE", password: "alice forever 99", confirm: "alice forever 99" })).toEqual({
      ok: false,
      errors: { password: "Password must not contain the username." },
    });
    expect(await checkSignup({ username: "alice", password: "butterfly2024", confirm: "butterfly2024" })).toEqual({
      ok: false,
      errors: { password: "This is similar to a commonly used password. Add more words that are less common." },
    });
  });

  it("refuses a confirmation that does not match", async () => {
    expect(await checkSignup({ username: "alice", password: GOOD, confirm: `${GOOD} ` })).toEqual({
      ok: false,
      errors: { confirm: "The passwords do not match." },
    });
  });

  it("reports every field's problem at once", async () => {
    const result = await checkSignup({ username: "x", password: "short", confirm: "" });
    expect(result).toEqual({
      ok: false,
      errors: { username: "Username must be 3 to 32 characters.", password: "Password must be at least 12 characters." },
    });
  });

  it("never echoes the typed password in a message", async () => {
    const result = await checkSignup({ username: "alice", password: "qwertyqwerty", confirm: "nope" });
    expect(JSON.stringify(result)).not.toContain("qwertyqwerty");
  });
});

describe("checkPasswordChange", () => {
  it("accepts a new password that passes the policy and matches its confirmation", async () => {
    expect(await checkPasswordChange({ current: OTHER_GOOD, password: GOOD, confirm: GOOD }, "alice")).toBeNull();
  });

  it("requires the current password", async () => {
    expect(await checkPasswordChange({ current: "", password: GOOD, confirm: GOOD }, "alice")).toEqual({
      current: "Enter your current password.",
    });
  });

  it("refuses the current password as the new one", async () => {
    expect(await checkPasswordChange({ current: GOOD, password: GOOD, confirm: GOOD }, "alice")).toEqual({
      password: "The new password must differ from the current one.",
    });
  });

  it("refuses a confirmation that does not match", async () => {
    expect(await checkPasswordChange({ current: OTHER_GOOD, password: GOOD, confirm: OTHER_GOOD }, "alice")).toEqual({
      confirm: "The passwords do not match.",
    });
  });

  it("applies the password policy, strength estimate included, with the account's username", async () => {
    expect(await checkPasswordChange({ current: OTHER_GOOD, password: "passwordpassword", confirm: "passwordpassword" }, "alice")).toEqual({
      password: "That password is too common. Choose another.",
    });
    expect(await checkPasswordChange({ current: OTHER_GOOD, password: "alice forever 99", confirm: "alice forever 99" }, "alice")).toEqual({
      password: "Password must not contain the username.",
    });
    expect(await checkPasswordChange({ current: OTHER_GOOD, password: "M@rig0ld2024!", confirm: "M@rig0ld2024!" }, "marigold")).toEqual({
      password: "There should not be any personal or page related data. Add more words that are less common.",
    });
    expect(await checkPasswordChange({ current: "", password: "short", confirm: "short" }, "alice")).toEqual({
      current: "Enter your current password.",
      password: "Password must be at least 12 characters.",
    });
  });
});

describe("formString", () => {
  it("reads a text field, and treats a missing field or an uploaded file as empty", () => {
    const form = new FormData();
    form.set("username", " alice ");
    form.set("password", new Blob(["secret"]), "password.txt");
    expect(formString(form, "username")).toBe(" alice ");
    expect(formString(form, "password")).toBe("");
    expect(formString(form, "confirm")).toBe("");
  });
});
