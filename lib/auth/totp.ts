import "server-only";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

// Time-based one-time passwords (RFC 6238) as authenticator apps make them:
// HMAC-SHA-1 over the count of 30-second steps since 1970, 6 digits. The
// secret is 20 random bytes (RFC 4226 §4 asks for at least 128 bits and
// recommends 160), shown to the user in base32 (RFC 4648), as apps read it.

export const TOTP_DIGITS = 6;
export const TOTP_STEP_SECONDS = 30;
/** The steps either side of now whose codes are accepted too (RFC 6238 §5.2): a clock a little off, a code typed as it changed. */
export const TOTP_WINDOW_STEPS = 1;

export function generateTotpSecret(): Buffer {
  return randomBytes(20);
}

/** HOTP (RFC 4226 §5.3): `digits` digits of the HMAC-SHA-1 of the 8-byte big-endian counter. */
export function hotp(secret: Buffer, counter: number, digits: number = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The 30-second step `at` falls in. */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS);
}

/** The code an authenticator app shows at `at`. */
export function totpCode(secret: Buffer, at: Date, digits: number = TOTP_DIGITS): string {
  return hotp(secret, totpStep(at), digits);
}

/**
 * The step whose code `code` is, among the steps within the window around
 * `now`, or null. Steps up to `usedStep` (the last one that signed in) are
 * refused: a code works once, and no older code works after it (RFC 6238
 * §5.2). Spaces in the code are ignored, as apps show "123 456". Every step in
 * the window is compared, in constant time, whichever matches.
 */
export function matchTotp(secret: Buffer, code: string, now: Date, usedStep: number | null = null): number | null {
  const digits = code.replace(/\s/g, "");
  if (!new RegExp(`^[0-9]{${TOTP_DIGITS}}$`).test(digits)) return null;
  const given = Buffer.from(digits);
  const current = totpStep(now);
  let matched: number | null = null;
  for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
    const same = timingSafeEqual(Buffer.from(hotp(secret, step)), given);
    if (same && (usedStep === null || step > usedStep) && matched === null) matched = step;
  }
  return matched;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Base32 (RFC 4648 §6) without padding, as `otpauth://` URIs and "setup keys" carry secrets. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let output = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32[(value << (5 - bits)) & 31];
  return output;
}

/** Base32 back to bytes; case, spaces and padding ignored. Throws on any other character. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const output: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index === -1) throw new Error(`base32: "${char}" is not a base32 character`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      output.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(output);
}

/**
 * The `otpauth://` URI authenticator apps read from the QR code (Google's Key
 * Uri Format): the issuer both as the label's prefix and as a parameter, and
 * the algorithm, digits and period spelled out.
 */
export function otpauthUri({ secret, issuer, account }: { secret: Buffer; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: "SHA1",
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, "%20")}`;
}
