// An authenticator app, as the tests' stand-in: reads the setup key a page
// shows and makes the codes an app would (RFC 6238: HMAC-SHA-1, 6 digits,
// 30-second steps). Written apart from lib/auth/totp.ts on purpose, so the
// server's codes are checked against an independent implementation.
import { createHmac } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Decode(text: string): Buffer {
  let bits = "";
  for (const char of text.replace(/[\s=]/g, "").toUpperCase()) {
    const value = BASE32.indexOf(char);
    if (value === -1) throw new Error(`Not base32: ${char}`);
    bits += value.toString(2).padStart(5, "0");
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

export function totpCode(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const currentStep = () => Math.floor(Date.now() / 30_000);

/**
 * Codes for one account, each of a step after the last one given out: the
 * server takes each step once (replay), and the one after now too (its ±1
 * step window), so two codes come without waiting; a third waits for the clock.
 */
export class Authenticator {
  private readonly secret: Buffer;
  private lastStep = -1;

  constructor(setupKey: string) {
    this.secret = base32Decode(setupKey);
  }

  async nextCode(): Promise<string> {
    let step = Math.max(currentStep(), this.lastStep + 1);
    while (step > currentStep() + 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      step = Math.max(currentStep(), this.lastStep + 1);
    }
    this.lastStep = step;
    return totpCode(this.secret, step);
  }

  /** A code that is certainly wrong now: none of the steps the server accepts. */
  wrongCode(): string {
    const now = currentStep();
    const taken = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(this.secret, now + offset)));
    for (let n = 0; ; n++) {
      const candidate = String(n).padStart(6, "0");
      if (!taken.has(candidate)) return candidate;
    }
  }
}
