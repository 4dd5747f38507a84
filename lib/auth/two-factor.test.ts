// Set-up, confirmation and the second factor at sign-in, on a real database,
// with a controlled clock and codes computed as an authenticator app would.
import QRCode from "qrcode";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { failWrites, insertUser, isInjectedFailure, resetToUsers } from "../../test/db";
import { db } from "../db/client";
import { insertPasskey } from "../db/passkeys";
import { findTwoFactorState } from "../db/two-factor";
import { UserNotFoundError } from "../db/users";
import { createSession, generateSessionToken, validateSessionToken } from "../session/store";
import { base32Decode, hotp, totpStep } from "./totp";
import {
  beginTotpSetup,
  confirmTotpSetup,
  isTwoFactorEnabled,
  renewRecoveryCodes,
  resetTwoFactor,
  turnOffTwoFactor,
  twoFactorStatus,
  TwoFactorUnavailableError,
  verifySecondFactor,
} from "./two-factor";

const CLIENT = { ip: "192.0.2.9", userAgent: "vitest" };
const NOW = new Date("2026-12-03T12:00:10Z");
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
let alice: { id: number; username: string };

beforeEach(async () => {
  vi.stubEnv("NODE_ENV", "production");
  vi.stubEnv("TOTP_ENCRYPTION_KEY", "t".repeat(32));
  ({ alice } = await resetToUsers("alice"));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Sets two-factor authentication up for alice; the app's secret and the recovery codes. */
async function turnOn(): Promise<{ secret: Buffer; codes: string[] }> {
  const setup = await beginTotpSetup(alice);
  const secret = base32Decode(setup!.setupKey);
  const codes = await confirmTotpSetup(alice, hotp(secret, totpStep(NOW)), CLIENT, NOW);
  return { secret, codes: codes! };
}

const events = async () => (await db.securityEvent.findMany({ where: { userId: alice.id }, orderBy: { id: "asc" } })).map((event) => event.type);

describe("set-up", () => {
  it("gives a setup key and an otpauth URI naming the account, and is off until a code confirms it", async () => {
    const setup = await beginTotpSetup(alice);
    expect(setup!.setupKey).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup!.otpauthUri).toContain(`secret=${setup!.setupKey}`);
    expect(setup!.otpauthUri).toMatch(/^otpauth:\/\/totp\/Keycard:alice\?/);
    expect(await isTwoFactorEnabled(alice.id)).toBe(false);
    // The QR code is the URI's, drawn here: an SVG of the URI's modules, nothing fetched or run.
    const modules = QRCode.create(setup!.otpauthUri, { errorCorrectionLevel: "M" }).modules.size;
    expect(setup!.qrCodeSvg).toMatch(new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${modules + 8} ${modules + 8}"`));
    expect(setup!.qrCodeSvg).not.toMatch(/<script|href|url\(/i);
    // The secret is stored encrypted, not as the setup key.
    expect((await findTwoFactorState(alice.id))!.totpSecret).not.toContain(setup!.setupKey);
  });

  it("is not confirmed by a wrong code, and is by the app's, giving ten recovery codes once", async () => {
    const setup = await beginTotpSetup(alice);
    const secret = base32Decode(setup!.setupKey);
    const right = hotp(secret, totpStep(NOW));
    expect(await confirmTotpSetup(alice, right === "000000" ? "111111" : "000000", CLIENT, NOW)).toBeNull();
    expect(await isTwoFactorEnabled(alice.id)).toBe(false);
    const codes = await confirmTotpSetup(alice, right, CLIENT, NOW);
    expect(codes).toHaveLength(10);
    expect(await isTwoFactorEnabled(alice.id)).toBe(true);
    expect(await confirmTotpSetup(alice, right, CLIENT, NOW)).toBeNull();
    expect(await beginTotpSetup(alice)).toBeNull();
    expect(await events()).toEqual(["two_factor_enabled"]);
  });

  it("is unavailable without TOTP_ENCRYPTION_KEY", async () => {
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "");
    await expect(beginTotpSetup(alice)).rejects.toBeInstanceOf(TwoFactorUnavailableError);
  });
});

describe("verifySecondFactor", () => {
  it("takes the app's code once: the code that confirmed set-up, or one used, never again", async () => {
    const { secret } = await turnOn();
    expect(await verifySecondFactor(alice, hotp(secret, totpStep(NOW)), CLIENT, NOW)).toBeNull();
    const next = hotp(secret, totpStep(later(30)));
    expect(await verifySecondFactor(alice, next, CLIENT, later(30))).toBe("totp");
    expect(await verifySecondFactor(alice, next, CLIENT, later(31))).toBeNull();
    expect(await verifySecondFactor(alice, hotp(secret, totpStep(later(60))), CLIENT, later(60))).toBe("totp");
  });

  it("takes each recovery code once, and records its use", async () => {
    const { codes } = await turnOn();
    expect(await verifySecondFactor(alice, codes[3]!, CLIENT, NOW)).toBe("recovery");
    expect(await verifySecondFactor(alice, codes[3]!, CLIENT, NOW)).toBeNull();
    expect(await verifySecondFactor(alice, codes[4]!.toUpperCase(), CLIENT, NOW)).toBe("recovery");
    expect(await events()).toEqual(["two_factor_enabled", "recovery_code_used", "recovery_code_used"]);
  });

  it("re-encrypts a secret under a newer key when it is used", async () => {
    const { secret } = await turnOn();
    vi.stubEnv("TOTP_ENCRYPTION_KEY_2", "u".repeat(32));
    expect(await verifySecondFactor(alice, hotp(secret, totpStep(later(30))), CLIENT, later(30))).toBe("totp");
    expect((await findTwoFactorState(alice.id))!.totpSecret).toMatch(/^v1\.2\./);
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "");
    expect(await verifySecondFactor(alice, hotp(secret, totpStep(later(60))), CLIENT, later(60))).toBe("totp");
  });

  it("renewing the recovery codes ends the old ones; turning off ends everything", async () => {
    const { secret, codes } = await turnOn();
    const fresh = await renewRecoveryCodes(alice, CLIENT, NOW);
    expect(await verifySecondFactor(alice, codes[0]!, CLIENT, NOW)).toBeNull();
    expect(await verifySecondFactor(alice, fresh[0]!, CLIENT, NOW)).toBe("recovery");
    await turnOffTwoFactor(alice, CLIENT);
    expect(await isTwoFactorEnabled(alice.id)).toBe(false);
    expect(await verifySecondFactor(alice, hotp(secret, totpStep(later(30))), CLIENT, later(30))).toBeNull();
    expect(await verifySecondFactor(alice, fresh[1]!, CLIENT, NOW)).toBeNull();
    expect(await events()).toEqual(["two_factor_enabled", "recovery_codes_created", "recovery_code_used", "two_factor_disabled"]);
  });
});

describe("twoFactorStatus", () => {
  it("is unavailable without TOTP_ENCRYPTION_KEY, and off with one until set-up begins", async () => {
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "");
    expect(await twoFactorStatus(alice)).toEqual({ state: "unavailable" });
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "t".repeat(32));
    expect(await twoFactorStatus(alice)).toEqual({ state: "off" });
  });

  it("is setting up, with the set-up begun, until a code confirms it", async () => {
    const setup = await beginTotpSetup(alice);
    expect(await twoFactorStatus(alice)).toEqual({ state: "setting-up", setup });
  });

  it("treats a set-up begun under a key since replaced as none", async () => {
    await beginTotpSetup(alice);
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "v".repeat(32));
    expect(await twoFactorStatus(alice)).toEqual({ state: "off" });
  });

  it("is on since set-up was confirmed, counting the recovery codes left, and off once turned off", async () => {
    const { codes } = await turnOn();
    expect(await twoFactorStatus(alice)).toEqual({ state: "on", since: NOW, recoveryCodesLeft: 10 });
    await verifySecondFactor(alice, codes[0]!, CLIENT, NOW);
    expect(await twoFactorStatus(alice)).toEqual({ state: "on", since: NOW, recoveryCodesLeft: 9 });
    await turnOffTwoFactor(alice, CLIENT);
    expect(await twoFactorStatus(alice)).toEqual({ state: "off" });
  });
});

describe("resetTwoFactor", () => {
  const OPERATOR = { ip: "cli", userAgent: "Operator (npm run users)" };

  /** A session of `user`'s begun at NOW; its token. */
  async function signIn(user: { id: number; username: string }): Promise<string> {
    const token = generateSessionToken();
    await createSession(token, user, { persistent: false, client: CLIENT }, NOW);
    return token;
  }

  it("turns two-factor authentication off, ends the user's sessions and no one else's, and records that an operator did it", async () => {
    const { secret, codes } = await turnOn();
    const bob = await insertUser("bob");
    const tokens = [await signIn(alice), await signIn(alice)];
    const bobsToken = await signIn(bob);

    expect(await resetTwoFactor("alice", OPERATOR, later(60))).toBe(2);

    expect(await findTwoFactorState(alice.id)).toEqual({ totpSecret: null, totpEnabledAt: null, totpLastUsedStep: null });
    expect(await db.recoveryCode.count({ where: { userId: alice.id } })).toBe(0);
    expect(await verifySecondFactor(alice, hotp(secret, totpStep(later(90))), CLIENT, later(90))).toBeNull();
    expect(await verifySecondFactor(alice, codes[1]!, CLIENT, later(90))).toBeNull();
    for (const token of tokens) expect(await validateSessionToken(token, alice.id, later(61))).toEqual({ ok: false, reason: "revoked" });
    expect((await validateSessionToken(bobsToken, bob.id, later(61))).ok).toBe(true);
    expect(await db.securityEvent.findMany({ where: { type: "two_factor_reset" } })).toEqual([
      expect.objectContaining({ userId: alice.id, username: "alice", ip: "cli", userAgent: "Operator (npm run users)", createdAt: later(60) }),
    ]);
  });

  /** A passkey of `user`'s (a placeholder key: nothing here checks a signature). */
  async function addPasskey(user: { id: number }, id: string): Promise<void> {
    await insertPasskey({ id, userId: user.id, name: "Laptop", publicKey: new Uint8Array([1]), counter: 0n, transports: "internal" });
  }

  it("removes the passkeys of a user without TOTP, ends their sessions, and leaves other users' passkeys", async () => {
    const bob = await insertUser("bob");
    await addPasskey(alice, "alice-laptop");
    await addPasskey(alice, "alice-phone");
    await addPasskey(bob, "bob-laptop");
    const token = await signIn(alice);

    expect(await resetTwoFactor("alice", OPERATOR, later(60))).toBe(1);

    expect(await db.passkey.findMany({ select: { id: true } })).toEqual([{ id: "bob-laptop" }]);
    expect(await validateSessionToken(token, alice.id, later(61))).toEqual({ ok: false, reason: "revoked" });
    expect(await events()).toEqual(["two_factor_reset"]);
  });

  it("removes both TOTP and passkeys from a user with both", async () => {
    await turnOn();
    await addPasskey(alice, "alice-laptop");
    expect(await resetTwoFactor("alice", OPERATOR, later(60))).toBe(0);
    expect(await isTwoFactorEnabled(alice.id)).toBe(false);
    expect(await db.passkey.count()).toBe(0);
  });

  it("changes nothing for a user with neither TOTP on nor passkeys, a set-up in progress included", async () => {
    const setup = await beginTotpSetup(alice);
    const token = await signIn(alice);
    expect(await resetTwoFactor("alice", OPERATOR, later(60))).toBeNull();
    expect((await validateSessionToken(token, alice.id, later(61))).ok).toBe(true);
    expect(await twoFactorStatus(alice)).toEqual({ state: "setting-up", setup });
    expect(await events()).toEqual([]);
  });

  it("refuses an unknown user", async () => {
    await expect(resetTwoFactor("mallory", OPERATOR)).rejects.toThrow(UserNotFoundError);
  });

  it("writes all of it or none: without its audit row, two-factor authentication stays on and the sessions live", async () => {
    const { codes } = await turnOn();
    const token = await signIn(alice);
    const restore = await failWrites("SecurityEvent", "INSERT");
    try {
      await expect(resetTwoFactor("alice", OPERATOR, later(60))).rejects.toSatisfy(isInjectedFailure);
    } finally {
      await restore();
    }
    expect(await isTwoFactorEnabled(alice.id)).toBe(true);
    expect((await validateSessionToken(token, alice.id, later(61))).ok).toBe(true);
    expect(await verifySecondFactor(alice, codes[0]!, CLIENT, later(61))).toBe("recovery");
  });

  it("writes all of it or none: without its audit row, the passkeys stay", async () => {
    await addPasskey(alice, "alice-laptop");
    const restore = await failWrites("SecurityEvent", "INSERT");
    try {
      await expect(resetTwoFactor("alice", OPERATOR, later(60))).rejects.toSatisfy(isInjectedFailure);
    } finally {
      await restore();
    }
    expect(await db.passkey.count({ where: { userId: alice.id } })).toBe(1);
  });
});
