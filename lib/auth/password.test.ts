import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it, vi } from "vitest";

import { hashPassword, MAX_PASSWORD_BYTES, verifyAgainstDummyHash, verifyPassword } from "./password";

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("hashPassword / verifyPassword", () => {
  it("round-trips, and a wrong password does not verify", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery staple", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", hash)).toBe(false);
    expect(await verifyPassword("Correct horse battery staple", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword("same password here"), hashPassword("same password here")]);
    expect(a).not.toBe(b);
  });

  it("hashes at the configured cost (BCRYPT_COST)", async () => {
    vi.stubEnv("BCRYPT_COST", "11");
    expect(bcrypt.getRounds(await hashPassword("cost check password"))).toBe(11);
  });

  it("refuses to hash more than 72 UTF-8 bytes, and such a password never verifies", async () => {
    const tooLong = "a".repeat(MAX_PASSWORD_BYTES + 1);
    await expect(hashPassword(tooLong)).rejects.toThrow(/at most 72 bytes/);
    const hash = await hashPassword("a".repeat(MAX_PASSWORD_BYTES));
    expect(await verifyPassword(tooLong, hash)).toBe(false);
  });

  it("counts bytes, not characters: 36 × 'é' (72 bytes) is accepted, one more byte is refused", async () => {
    const password = "é".repeat(36);
    expect(utf8Length(password)).toBe(72);
    const hash = await hashPassword(password);
    expect(await verifyPassword(password, hash)).toBe(true);
    // Every byte counts up to the limit: changing the last character matters.
    expect(await verifyPassword("é".repeat(35) + "è", hash)).toBe(false);
    // 37 characters but 73 bytes: over bcrypt's limit.
    await expect(hashPassword(password + "a")).rejects.toThrow(/at most 72 bytes/);
  });

  it("avoids the bcrypt truncation trap for passwords sharing their first 72 bytes", async () => {
    const shared = "x".repeat(72);
    const first = shared + "-first--";
    const second = shared + "-second-";
    expect([utf8Length(first), utf8Length(second)]).toEqual([80, 80]);

    // WHY: bcrypt itself silently ignores bytes after 72, so these two collide.
    const rawHash = await bcrypt.hash(first, 10);
    expect(await bcrypt.compare(second, rawHash)).toBe(true);

    // Keycard never produces such a hash, and never accepts such a password,
    // even against a hash made elsewhere (e.g. imported from another system).
    await expect(hashPassword(first)).rejects.toThrow(/at most 72 bytes/);
    await expect(hashPassword(second)).rejects.toThrow(/at most 72 bytes/);
    expect(await verifyPassword(second, rawHash)).toBe(false);
    expect(await verifyPassword(first, rawHash)).toBe(false);
  });
});

describe("verifyAgainstDummyHash", () => {
  it("always resolves false, whatever the password", async () => {
    await expect(verifyAgainstDummyHash("anything at all")).resolves.toBe(false);
    await expect(verifyAgainstDummyHash("")).resolves.toBe(false);
    // Even the dummy hash's own password must not sign anyone in.
    await expect(verifyAgainstDummyHash("keycard-dummy-password")).resolves.toBe(false);
  });
});
