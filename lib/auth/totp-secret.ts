import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { getTotpEncryptionKeys } from "../config";

// Authenticator-app secrets at rest: AES-256-GCM under TOTP_ENCRYPTION_KEY
// (lib/config.ts), a key of its own, not the session secret's, so a copy of
// the database alone yields no codes. Each value names the key number that
// encrypted it, so keys rotate as session secrets do: the newest encrypts,
// every configured one decrypts, and a value under an older key is
// re-encrypted the next time it is used (needsNewerKey). The user's id is the
// additional data: a value moved to another user's row does not decrypt.
//
// Stored as `v1.<key number>.<iv>.<ciphertext>.<tag>`, base64url.

const VERSION = "v1";

export class TotpKeyError extends Error {
  override name = "TotpKeyError";
}

/** 32 bytes for AES-256 from a configured key, kept apart from any other use of it. */
function aesKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "", "keycard totp secret v1", 32));
}

/** The configured keys by number, and the newest's number; TotpKeyError when none is. Recovery codes are hashed under them too. */
export function twoFactorKeys(): { newest: string; byNumber: Record<string, string> } {
  const byNumber = getTotpEncryptionKeys();
  const numbers = Object.keys(byNumber).map(Number);
  if (numbers.length === 0) throw new TotpKeyError("Keycard: TOTP_ENCRYPTION_KEY is not set, so two-factor authentication cannot be used.");
  return { newest: String(Math.max(...numbers)), byNumber };
}

/** True when an encryption key is configured: two-factor authentication can be turned on. */
export function canEncryptTotpSecrets(): boolean {
  return Object.keys(getTotpEncryptionKeys()).length > 0;
}

export function encryptTotpSecret(secret: Buffer, userId: number): string {
  const { newest, byNumber } = twoFactorKeys();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", aesKey(byNumber[newest]!), iv);
  cipher.setAAD(additionalData(userId));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return [VERSION, newest, iv.toString("base64url"), ciphertext.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** The secret, or TotpKeyError when its key is not configured or the value was altered or belongs to another user. */
export function decryptTotpSecret(stored: string, userId: number): Buffer {
  const [version, number, iv, ciphertext, tag, ...rest] = stored.split(".");
  if (version !== VERSION || !number || !iv || !ciphertext || !tag || rest.length > 0) {
    throw new TotpKeyError("Keycard: a stored authenticator secret is not in a form this version reads.");
  }
  const key = twoFactorKeys().byNumber[number];
  if (!key) throw new TotpKeyError(`Keycard: a stored authenticator secret was encrypted with TOTP_ENCRYPTION_KEY number ${number}, which is not configured.`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", aesKey(key), Buffer.from(iv, "base64url"));
    decipher.setAAD(additionalData(userId));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
  } catch {
    throw new TotpKeyError("Keycard: a stored authenticator secret does not decrypt: altered, or not this user's.");
  }
}

/** True when `stored` was encrypted under a key older than the newest configured. */
export function needsNewerKey(stored: string): boolean {
  return stored.split(".")[1] !== twoFactorKeys().newest;
}

function additionalData(userId: number): Buffer {
  return Buffer.from(`keycard-user:${userId}`);
}
