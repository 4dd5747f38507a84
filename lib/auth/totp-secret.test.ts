import { afterEach, describe, expect, it, vi } from "vitest";
import { generateTotpSecret } from "./totp";
import { canEncryptTotpSecrets, decryptTotpSecret, encryptTotpSecret, needsNewerKey, TotpKeyError } from "./totp-secret";

const KEY_1 = "k".repeat(32);
const KEY_2 = "m".repeat(44);

afterEach(() => {
  vi.unstubAllEnvs();
});

function useKeys(keys: { 1?: string; 2?: string }): void {
  vi.stubEnv("NODE_ENV", "production");
  vi.stubEnv("TOTP_ENCRYPTION_KEY", keys[1] ?? "");
  vi.stubEnv("TOTP_ENCRYPTION_KEY_2", keys[2] ?? "");
}

describe("TOTP secrets at rest", () => {
  it("decrypt to the secret for the same user, and hold nothing of it in the clear", () => {
    useKeys({ 1: KEY_1 });
    const secret = generateTotpSecret();
    const stored = encryptTotpSecret(secret, 7);
    expect(stored).toMatch(/^v1\.1\.[\w-]{16}\.[\w-]{27}\.[\w-]{22}$/);
    expect(stored).not.toContain(secret.toString("base64url"));
    expect(stored).not.toContain(secret.toString("hex"));
    expect(decryptTotpSecret(stored, 7).equals(secret)).toBe(true);
    // A fresh IV each time: the same secret never gives the same value.
    expect(encryptTotpSecret(secret, 7)).not.toBe(stored);
  });

  it("do not decrypt for another user (a value copied to another row)", () => {
    useKeys({ 1: KEY_1 });
    const stored = encryptTotpSecret(generateTotpSecret(), 7);
    expect(() => decryptTotpSecret(stored, 8)).toThrow(TotpKeyError);
  });

  it("do not decrypt once altered, anywhere", () => {
    useKeys({ 1: KEY_1 });
    const stored = encryptTotpSecret(generateTotpSecret(), 7);
    const parts = stored.split(".");
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, "base64url");
      bytes[0]! ^= 1;
      const altered = parts.map((part, i) => (i === index ? bytes.toString("base64url") : part)).join(".");
      expect(() => decryptTotpSecret(altered, 7)).toThrow(TotpKeyError);
    }
    for (const bad of ["", "v1", "v2.1.a.b.c", `${stored}.extra`, stored.replace("v1.1.", "v1.9.")]) {
      expect(() => decryptTotpSecret(bad, 7)).toThrow(TotpKeyError);
    }
  });

  it("do not decrypt with another key: a database copy alone yields nothing", () => {
    useKeys({ 1: KEY_1 });
    const stored = encryptTotpSecret(generateTotpSecret(), 7);
    useKeys({ 1: KEY_2 });
    expect(() => decryptTotpSecret(stored, 7)).toThrow(TotpKeyError);
  });

  it("rotate: the newest key encrypts, the older still decrypts, and says it wants the newer", () => {
    useKeys({ 1: KEY_1 });
    const secret = generateTotpSecret();
    const old = encryptTotpSecret(secret, 7);
    expect(needsNewerKey(old)).toBe(false);
    useKeys({ 1: KEY_1, 2: KEY_2 });
    expect(decryptTotpSecret(old, 7).equals(secret)).toBe(true);
    expect(needsNewerKey(old)).toBe(true);
    const renewed = encryptTotpSecret(secret, 7);
    expect(renewed.startsWith("v1.2.")).toBe(true);
    expect(needsNewerKey(renewed)).toBe(false);
    // Key 1 retired: what it encrypted is unreadable, what key 2 did still reads.
    useKeys({ 2: KEY_2 });
    expect(() => decryptTotpSecret(old, 7)).toThrow(/number 1, which is not configured/);
    expect(decryptTotpSecret(renewed, 7).equals(secret)).toBe(true);
  });

  it("cannot be made without a key: two-factor authentication is then unavailable", () => {
    useKeys({});
    expect(canEncryptTotpSecrets()).toBe(false);
    expect(() => encryptTotpSecret(generateTotpSecret(), 7)).toThrow(/TOTP_ENCRYPTION_KEY is not set/);
    useKeys({ 1: KEY_1 });
    expect(canEncryptTotpSecrets()).toBe(true);
  });
});
