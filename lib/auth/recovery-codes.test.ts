import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes";

const KEY_1 = "r".repeat(32);
const KEY_2 = "q".repeat(40);

beforeEach(() => {
  vi.stubEnv("NODE_ENV", "production");
  vi.stubEnv("TOTP_ENCRYPTION_KEY", KEY_1);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const stored = (codes: string[]) => codes.map((code, index) => ({ id: index + 1, codeHash: hashRecoveryCode(code) }));

describe("recovery codes", () => {
  it("come ten at a time, xxxxx-xxxxx in Crockford's base32, all different", () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
  });

  it("are stored as keyed hashes that hold nothing of the code", () => {
    const [code] = generateRecoveryCodes();
    const hash = hashRecoveryCode(code!);
    expect(hash).toMatch(/^v1\.1\.[\w-]{43}$/);
    expect(hash).not.toContain(code!.replace("-", ""));
    // Keyed: the same code under another key is another hash.
    vi.stubEnv("TOTP_ENCRYPTION_KEY", KEY_2);
    expect(hashRecoveryCode(code!)).not.toBe(hash);
  });

  it("match the code typed loosely: case, spaces, no dash, i/l for 1 and o for 0", () => {
    const codes = ["0a1b2-c3d4e", "zzzzz-00000"];
    const rows = stored(codes);
    expect(matchRecoveryCode("0a1b2-c3d4e", rows)).toBe(1);
    expect(matchRecoveryCode(" 0A1B2 C3D4E ", rows)).toBe(1);
    expect(matchRecoveryCode("oalb2c3d4e", rows)).toBe(1);
    expect(matchRecoveryCode("ZZZZZOOOOO", rows)).toBe(2);
  });

  it("match nothing else: another code, a wrong length, characters outside the alphabet", () => {
    const rows = stored(["0a1b2-c3d4e"]);
    for (const bad of ["0a1b2-c3d4f", "0a1b2-c3d4", "0a1b2-c3d4e5", "0a1b2-c3d4u", "", "0a1b2\u0000c3d4e"]) {
      expect(matchRecoveryCode(bad, rows)).toBeNull();
    }
    expect(normalizeRecoveryCode("0a1b2-c3d4u")).toBeNull();
  });

  it("still match after the key rotates, and not once their key is gone", () => {
    const rows = stored(["0a1b2-c3d4e"]);
    vi.stubEnv("TOTP_ENCRYPTION_KEY_2", KEY_2);
    expect(matchRecoveryCode("0a1b2-c3d4e", rows)).toBe(1);
    expect(hashRecoveryCode("0a1b2-c3d4e").startsWith("v1.2.")).toBe(true);
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "");
    expect(matchRecoveryCode("0a1b2-c3d4e", rows)).toBeNull();
  });
});
