// The second factor where it guards something: checkSecondFactor (sign-in) and
// confirmIdentity ("Confirm it's you"), with their throttles, on a real
// database. Both read the real clock, so codes are made for it here, as an
// authenticator app would make them.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { clearActivity, clearDatabase, failuresOf, skipRandomPruning, throttledBy } from "../../test/db";
import { db } from "../db/client";
import { disableTotp, findTwoFactorState } from "../db/two-factor";
import type { Client } from "../http/client-address";
import { createSession, generateSessionToken, type ValidatedSession } from "../session/store";
import { createUser, setPasswordAndSignOut, type PublicUser } from "./accounts";
import { confirmIdentity } from "./confirm-identity";
import { signDeviceCookie } from "./device-cookie";
import { authenticate, checkSecondFactor, pendingSignInStillHolds } from "./sign-in";
import { ThrottledError } from "./throttle";
import { TotpKeyError } from "./totp-secret";
import { base32Decode, hotp, totpStep } from "./totp";
import { beginTotpSetup, confirmTotpSetup } from "./two-factor";

const PASSWORD = "correct horse battery staple";
const HOME = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" };
const ELSEWHERE = { ip: "198.51.100.1", userAgent: null };

let alice: PublicUser;
/** The app's secret and the recovery codes of alice's two-factor authentication, set up anew for each test. */
let secret: Buffer;
let recoveryCodes: string[];

beforeAll(async () => {
  await clearDatabase();
  alice = await createUser("alice", PASSWORD);
});

beforeEach(async () => {
  vi.stubEnv("TOTP_ENCRYPTION_KEY", "t".repeat(32));
  await clearActivity();
  await disableTotp(alice.id);
  const setup = await beginTotpSetup(alice);
  secret = base32Decode(setup!.setupKey);
  const now = new Date();
  recoveryCodes = (await confirmTotpSetup(alice, hotp(secret, totpStep(now)), HOME, now))!;
});

afterEach(() => {
  vi.unstubAllEnvs();
});

skipRandomPruning();

/**
 * The app's code of the step after the last one used: not used yet, and within
 * the window around now (set-up used the step it ran in) for half a minute at least.
 */
async function unusedCode(): Promise<string> {
  const { totpLastUsedStep } = (await findTwoFactorState(alice.id))!;
  return hotp(secret, totpLastUsedStep! + 1);
}

/** Six digits that are the app's code for no step near now. */
function wrongCode(): string {
  const step = totpStep(new Date());
  const near = new Set([-2, -1, 0, 1, 2, 3].map((offset) => hotp(secret, step + offset)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

const check = (code: string, client: Client = HOME, deviceCookie?: string) => checkSecondFactor(alice, code, client, { deviceCookie });
const guessWrong = async (times: number, client: Client = HOME, deviceCookie?: string) => {
  for (let i = 0; i < times; i++) expect(await check(wrongCode(), client, deviceCookie)).toBe(false);
};
const events = async (type: string) => db.securityEvent.findMany({ where: { type }, orderBy: { id: "asc" } });
const secondFactorKey = () => `2fa-account:${alice.id}`;

describe("checkSecondFactor", () => {
  it("gives the attempt back when this server cannot read the secret (no TOTP_ENCRYPTION_KEY): the server's fault is not a guess", async () => {
    const code = await unusedCode();
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "");
    vi.stubEnv("KEYCARD_DEV_TOTP_ENCRYPTION_KEY", "");
    for (let i = 0; i < 6; i++) await expect(check(code)).rejects.toBeInstanceOf(TotpKeyError);
    expect(await failuresOf(secondFactorKey())).toBe(0);
    expect(await failuresOf(`ip:${HOME.ip}`)).toBe(0);
    // The key back: the right code works at once, no wait to sit out.
    vi.stubEnv("TOTP_ENCRYPTION_KEY", "t".repeat(32));
    expect(await check(code)).toBe(true);
  });

  it("takes the app's code once: the same code again is refused (replay)", async () => {
    const code = await unusedCode();
    expect(await check(code)).toBe(true);
    expect(await check(code)).toBe(false);
    expect(await events("two_factor_failed")).toHaveLength(1);
  });

  it("refuses a wrong code, in alice's activity, counted against her second factor and the address but not her password", async () => {
    await guessWrong(1);
    expect(await events("two_factor_failed")).toEqual([
      expect.objectContaining({ userId: alice.id, username: "alice", ip: HOME.ip, userAgent: HOME.userAgent }),
    ]);
    expect(await failuresOf(secondFactorKey())).toBe(1);
    expect(await failuresOf(`ip:${HOME.ip}`)).toBe(1);
    expect(await failuresOf("account:alice")).toBe(0);
  });

  it("after 5 wrong codes refuses the 6th attempt, even the right code, without using it up", async () => {
    await guessWrong(5);
    const right = await unusedCode();
    const error = await throttledBy(check(right));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error?.retryAfterSeconds).toBeGreaterThan(25);
    expect(error?.retryAfterSeconds).toBeLessThanOrEqual(30);
    // Account-wide: another address is refused too, and refusals count nothing.
    expect(await throttledBy(check(right, ELSEWHERE))).toBeInstanceOf(ThrottledError);
    expect(await failuresOf(secondFactorKey())).toBe(5);
    expect(await events("two_factor_failed")).toHaveLength(5);
    expect(await events("sign_in_throttled")).toEqual([expect.objectContaining({ userId: alice.id, username: "alice" })]);
    // Once the wait is over, the code refused while blocked still works.
    await db.throttle.updateMany({ where: { key: secondFactorKey() }, data: { blockedUntil: new Date(Date.now() - 1000) } });
    expect(await check(right)).toBe(true);
  });

  it("keeps wrong codes off the password's count: with codes blocked, the password still signs in", async () => {
    await guessWrong(5);
    expect(await throttledBy(check(await unusedCode()))).toBeInstanceOf(ThrottledError);
    expect(await authenticate({ username: "alice", password: PASSWORD }, HOME)).toMatchObject({ ...alice, secondFactor: true });
    expect(await failuresOf("account:alice")).toBe(0);
  });

  it("keeps wrong passwords off the codes' count: with the password blocked, a code still works", async () => {
    for (let i = 0; i < 5; i++) expect(await authenticate({ username: "alice", password: `guess number ${i}` }, HOME)).toBeNull();
    expect(await throttledBy(authenticate({ username: "alice", password: PASSWORD }, HOME))).toBeInstanceOf(ThrottledError);
    expect(await check(await unusedCode())).toBe(true);
    expect(await failuresOf(secondFactorKey())).toBe(0);
  });

  it("lets alice's own browser (her device cookie) in while a stranger has blocked her codes", async () => {
    await guessWrong(5, ELSEWHERE);
    expect(await throttledBy(check(await unusedCode(), ELSEWHERE))).toBeInstanceOf(ThrottledError);
    expect(await check(await unusedCode(), HOME, signDeviceCookie("alice"))).toBe(true);
    // Her success does not reopen the account to the stranger.
    expect(await throttledBy(check(wrongCode(), ELSEWHERE))).toBeInstanceOf(ThrottledError);
  });

  it("gives a device cookie only its own 5 wrong codes, then refuses even the right one with it, leaving the account's count alone", async () => {
    const stolen = signDeviceCookie("alice");
    await guessWrong(5, ELSEWHERE, stolen);
    expect(await throttledBy(check(await unusedCode(), ELSEWHERE, stolen))).toBeInstanceOf(ThrottledError);
    expect(await failuresOf(secondFactorKey())).toBe(0);
    expect(await check(await unusedCode(), HOME)).toBe(true);
  });

  it("counts a code sent with another user's device cookie against the account", async () => {
    await guessWrong(1, HOME, signDeviceCookie("bob"));
    expect(await failuresOf(secondFactorKey())).toBe(1);
  });

  it("takes a recovery code once", async () => {
    expect(await check(recoveryCodes[0]!)).toBe(true);
    expect(await check(recoveryCodes[0]!)).toBe(false);
    expect(await events("recovery_code_used")).toHaveLength(1);
    expect(await events("two_factor_failed")).toHaveLength(1);
  });
});

describe("confirmIdentity", () => {
  let validated: ValidatedSession;

  /** The session's "last proved who they are", as stored. */
  const storedAuthenticatedAt = async () => (await db.session.findUniqueOrThrow({ where: { id: validated.session.id } })).authenticatedAt;

  beforeEach(async () => {
    // Signed in 20 minutes ago: long enough that a sensitive action asks again.
    const signedInAt = new Date(Date.now() - 20 * 60 * 1000);
    const session = await createSession(generateSessionToken(), alice, { persistent: false, client: HOME }, signedInAt);
    validated = { session, user: alice };
  });

  const confirm = (password: string, code: string) => confirmIdentity(validated, { password, code }, HOME);

  it("refuses a wrong password before looking at the code, so no code is used up", async () => {
    const signedInAt = validated.session.authenticatedAt;
    const code = await unusedCode();
    expect(await confirm("", code)).toEqual({ errors: { password: "Enter your password." } });
    expect(await confirm("wrong password!", code)).toEqual({ errors: { password: "Wrong password." } });
    expect(await confirm("wrong password!", recoveryCodes[0]!)).toEqual({ errors: { password: "Wrong password." } });
    expect(await events("reauthentication_failed")).toHaveLength(2);
    expect(await storedAuthenticatedAt()).toEqual(signedInAt);
    expect(await check(code)).toBe(true);
    expect(await check(recoveryCodes[0]!)).toBe(true);
  });

  it("asks for a code when two-factor authentication is on and none is given", async () => {
    const signedInAt = validated.session.authenticatedAt;
    expect(await confirm(PASSWORD, "")).toEqual({ errors: { code: "Enter a code." } });
    expect(await confirm(PASSWORD, "   ")).toEqual({ errors: { code: "Enter a code." } });
    expect(await storedAuthenticatedAt()).toEqual(signedInAt);
    expect(await events("reauthenticated")).toEqual([]);
  });

  it("refuses a wrong code, audited, and the session stays as it was", async () => {
    const signedInAt = validated.session.authenticatedAt;
    expect(await confirm(PASSWORD, wrongCode())).toEqual({ errors: { code: "Invalid code." } });
    expect(await events("two_factor_failed")).toHaveLength(1);
    expect(await storedAuthenticatedAt()).toEqual(signedInAt);
    expect(validated.session.authenticatedAt).toEqual(signedInAt);
    expect(await events("reauthenticated")).toEqual([]);
  });

  it("says why when the codes are blocked", async () => {
    await guessWrong(5);
    expect(await confirm(PASSWORD, await unusedCode())).toEqual({ message: expect.stringMatching(/^Too many attempts\. Try again in \d+ seconds\.$/) });
  });

  it("confirms with the password and a code: the session proved now, and audited", async () => {
    const before = Date.now();
    expect(await confirm(PASSWORD, await unusedCode())).toBeNull();
    const stored = await storedAuthenticatedAt();
    expect(stored.getTime()).toBeGreaterThanOrEqual(before);
    expect(stored.getTime()).toBeLessThanOrEqual(Date.now());
    expect(validated.session.authenticatedAt).toEqual(stored);
    expect(await events("reauthenticated")).toEqual([expect.objectContaining({ userId: alice.id, username: "alice", ip: HOME.ip })]);
  });

  it("needs only the password on an account without two-factor authentication", async () => {
    await disableTotp(alice.id);
    const before = Date.now();
    expect(await confirm(PASSWORD, "")).toBeNull();
    expect((await storedAuthenticatedAt()).getTime()).toBeGreaterThanOrEqual(before);
    expect(await events("reauthenticated")).toHaveLength(1);
  });
});

describe("pendingSignInStillHolds", () => {
  const passPassword = async () => (await authenticate({ username: "alice", password: PASSWORD }, HOME))!;

  it("holds for the password just passed, with two-factor authentication on", async () => {
    const user = await passPassword();
    expect(user.secondFactor).toBe(true);
    expect(await pendingSignInStillHolds({ uid: alice.id, passwordStamp: user.passwordStamp })).toBe(true);
  });

  it("ends when the password changes before the code: the old password's step cannot be finished", async () => {
    const { passwordStamp } = await passPassword();
    try {
      await setPasswordAndSignOut("alice", "a wholly different passphrase 9");
      expect(await pendingSignInStillHolds({ uid: alice.id, passwordStamp })).toBe(false);
    } finally {
      await setPasswordAndSignOut("alice", PASSWORD);
    }
  });

  it("ends when two-factor authentication is turned off (an operator's mfa-reset) before the code", async () => {
    const { passwordStamp } = await passPassword();
    await disableTotp(alice.id);
    expect(await pendingSignInStillHolds({ uid: alice.id, passwordStamp })).toBe(false);
  });

  it("holds across the hash's upgrade to today's BCRYPT_COST, which the password step itself makes", async () => {
    vi.stubEnv("BCRYPT_COST", "11");
    try {
      const { passwordStamp } = await passPassword();
      expect((await db.user.findUnique({ where: { id: alice.id } }))!.passwordHash.startsWith("$2b$11$")).toBe(true);
      expect(await pendingSignInStillHolds({ uid: alice.id, passwordStamp })).toBe(true);
    } finally {
      vi.unstubAllEnvs();
      vi.stubEnv("TOTP_ENCRYPTION_KEY", "t".repeat(32));
      await setPasswordAndSignOut("alice", PASSWORD);
    }
  });
});
