// Password hashing. bcrypt reads at most 72 bytes of its input and silently
// ignores the rest, so longer passwords are refused, never truncated.
// The rules for choosing a password are in password-policy.ts.
import bcrypt from "bcryptjs";
import { getBcryptCost } from "./env";

export const MAX_PASSWORD_BYTES = 72;

export function isPasswordTooLong(password: string): boolean {
  return new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES;
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
