// Password hashing and policy. bcrypt reads at most 72 bytes of its input and
// silently ignores the rest, so longer passwords are refused, never truncated.
import bcrypt from "bcryptjs";
import { getBcryptCost } from "./env";

export const MAX_PASSWORD_BYTES = 72;
const DEFAULT_MIN_PASSWORD_LENGTH = 12;

export function passwordByteLength(password: string): number {
  return new TextEncoder().encode(password).length;
}

export function isPasswordTooLong(password: string): boolean {
  return passwordByteLength(password) > MAX_PASSWORD_BYTES;
}

export function getMinPasswordLength(env: Record<string, string | undefined> = process.env): number {
  const raw = env.PASSWORD_MIN_LENGTH;
  if (raw === undefined || raw === "") return DEFAULT_MIN_PASSWORD_LENGTH;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 8 || value > 64) {
    throw new Error(`Keycard: PASSWORD_MIN_LENGTH must be an integer from 8 to 64 (got "${raw}").`);
  }
  return value;
}

/**
 * The rules for a new password, after NIST SP 800-63B-4: long enough, within
 * bcrypt's limit, no composition rules, and not built on the username.
 * Returns a one-sentence reason, or null when the password is acceptable.
 */
export function checkPasswordPolicy(password: string, username: string): string | null {
  const minLength = getMinPasswordLength();
  // Count characters as a person does (code points), not UTF-16 units.
  if ([...password].length < minLength) return `Password must be at least ${minLength} characters.`;
  if (isPasswordTooLong(password)) return `Password must be at most ${MAX_PASSWORD_BYTES} bytes.`;
  if (username !== "" && password.toLowerCase().includes(username.toLowerCase())) {
    return "Password must not contain the username.";
  }
  return null;
}

export async function hashPassword(password: string): Promise<string> {
  if (isPasswordTooLong(password)) throw new Error(`Password must be at most ${MAX_PASSWORD_BYTES} bytes.`);
  return bcrypt.hash(password, getBcryptCost());
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (isPasswordTooLong(password)) return false;
  return bcrypt.compare(password, hash);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as verifyPassword against a real hash, so a stranger
 * cannot tell "no such user" from "wrong password" by the clock.
 */
export async function verifyAgainstDummyHash(password: string): Promise<false> {
  dummyHash ??= bcrypt.hash("keycard-dummy-password", getBcryptCost());
  await bcrypt.compare(password, await dummyHash);
  return false;
}
