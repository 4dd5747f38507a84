import { describe, expect, it } from "vitest";

import { checkUsername, credentialsSchema, firstIssue, normalizeUsername } from "./validation";

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

  it("refuses an absurdly long username before normalising it", () => {
    expect(messageFor({ username: "a".repeat(257), password: "secret" })).toBe("username is too long.");
  });

  it.each([null, undefined, "alice:secret", 42, [], ["alice", "secret"]])(
    "refuses the non-object %j with a message",
    (input) => {
      expect(messageFor(input)).toBe("Expected an object with username and password.");
    },
  );
});
