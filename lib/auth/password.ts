// Password hashing. bcrypt reads at most 72 bytes of its input and silently
// ignores the rest, so longer passwords are refused, never truncated.
// The rules for choosing a password are in password-policy.ts. The hashing
// itself runs on worker threads (password-workers.ts).
import { getBcryptCost } from "../config";
import { compareOnWorker, hashOnWorker } from "./password-workers";

export const MAX_PASSWORD_BYTES = 72;

export function isPasswordTooLong(password: string): boolean {
  return new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES;
}

export async function hashPassword(password: string): Promise<string> {
  if (isPasswordTooLong(password)) throw new Error(`Password must be at most ${MAX_PASSWORD_BYTES} bytes.`);
  return hashOnWorker(password, getBcryptCost());
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (isPasswordTooLong(password)) return false;
  return compareOnWorker(password, hash);
}

/**
 * Whether `hash` was made at another cost than BCRYPT_COST now asks for
 * ("$2b$12$…": the cost is the second field), so should be made again while the
 * password is at hand.
 */
export function needsRehash(hash: string): boolean {
  return Number(hash.split("$")[2]) !== getBcryptCost();
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as verifyPassword against a real hash, so a stranger
 * cannot tell "no such user" from "wrong password" by the clock.
 */
export async function verifyAgainstDummyHash(password: string): Promise<false> {
  dummyHash ??= hashOnWorker("keycard-dummy-password", getBcryptCost());
  await compareOnWorker(password, await dummyHash);
  return false;
}
