import "server-only";
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from "node:crypto";
import { twoFactorKeys } from "./totp-secret";

// Recovery codes: ten single-use codes shown once when two-factor
// authentication is turned on, for a user who has lost the authenticator app.
// Each is 10 characters of Crockford's base32 (50 bits), shown as "xxxxx-xxxxx".
// Stored as an HMAC-SHA-256 under a key derived from TOTP_ENCRYPTION_KEY, so a
// copy of the database alone cannot test guesses offline (NIST SP 800-63B-4
// asks look-up secrets under 112 bits to resist offline attack); online, they
// are throttled as passwords are. The key number travels with the hash, so the
// key rotates as the TOTP secrets' does.

export const RECOVERY_CODE_COUNT = 10;
const LENGTH = 10;
// Crockford's base32: no I, L, O or U, so nothing reads as another character.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** The code as typed, in canonical form (case, spaces and dashes ignored; i, l → 1, o → 0), or null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input
    .toLowerCase()
    .replace(/[\s-]/g, "")
    .replace(/[il]/g, "1")
    .replace(/o/g, "0");
  if (code.length !== LENGTH || [...code].some((char) => !ALPHABET.includes(char))) return null;
  return code;
}

/** `v1.<key number>.<HMAC>`: what is stored for a code. */
export function hashRecoveryCode(code: string): string {
  const { newest, byNumber } = twoFactorKeys();
  const normalized = normalizeRecoveryCode(code);
  if (!normalized) throw new Error("hashRecoveryCode: not a recovery code");
  return `v1.${newest}.${mac(byNumber[newest]!, normalized).toString("base64url")}`;
}

/**
 * The id of the stored code `input` is, or null. Every stored hash is
 * compared, in constant time; one under a key no longer configured matches nothing.
 */
export function matchRecoveryCode(input: string, stored: ReadonlyArray<{ id: number; codeHash: string }>): number | null {
  const normalized = normalizeRecoveryCode(input);
  if (!normalized) return null;
  const { byNumber } = twoFactorKeys();
  let matched: number | null = null;
  for (const { id, codeHash } of stored) {
    const [version, number, hash] = codeHash.split(".");
    const key = number ? byNumber[number] : undefined;
    if (version !== "v1" || !key || !hash) continue;
    const expected = Buffer.from(hash, "base64url");
    const actual = mac(key, normalized);
    if (expected.length === actual.length && timingSafeEqual(expected, actual) && matched === null) matched = id;
  }
  return matched;
}

function mac(secret: string, code: string): Buffer {
  const key = Buffer.from(hkdfSync("sha256", secret, "", "keycard recovery code v1", 32));
  return createHmac("sha256", key).update(code).digest();
}
