import "server-only";
import { createHash } from "node:crypto";
import { hasRecentEvent, recordEvent } from "../audit";
import type { Client } from "../http/client-address";
import { setSessionCookie } from "../session/cookie";
import { createSession, generateSessionToken, pruneSessions, type NewSession } from "../session/store";
import { findSignInState } from "../db/users";
import { findUserByUsername, findUserWithHash, upgradePasswordHash, type PublicUser } from "./accounts";
import { deviceIdFor, rememberDevice } from "./device-cookie";
import { beginPasskeySignIn, finishPasskeySignIn } from "./passkeys";
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { needsRehash, verifyAgainstDummyHash, verifyPassword } from "./password";
import { HashingBusyError } from "./password-workers";
import {
  accountKey,
  consumeAttempt,
  deviceKey,
  ipKey,
  secondFactorDeviceKey,
  secondFactorKey,
  settleAttempt,
  signInsKey,
  ThrottledError,
  type ThrottleKey,
} from "./throttle";
import { TotpKeyError } from "./totp-secret";
import { verifySecondFactor } from "./two-factor";
import type { Credentials } from "./validation";

/**
 * The one implementation of "are these credentials right?", for the sign-in form
 * and the JSON API alike. Layered like Lucia's example: take an attempt from the
 * throttles (refused while one is blocked, even with the right password),
 * verify, and on success reset the guessing count and give the network its
 * attempt back. Throws ThrottledError when throttled, HashingBusyError when
 * every password worker is taken (the attempt is given back: load is not a guess).
 *
 * Which throttles: every attempt counts against the network's sign-in volume.
 * A browser with this user's device cookie (lib/auth/device-cookie.ts) guesses
 * against its own allowance; any other attempt against the account's and the
 * network's, so strangers share the account's lockout and the user's own
 * browsers stay out of it.
 *
 * An unknown user costs the same bcrypt compare as a known one, so neither the
 * clock nor the throttle tells which usernames exist.
 */
export async function authenticate(
  { username, password }: Credentials,
  client: Client,
  { deviceCookie, failure = "sign_in_failed" }: { deviceCookie?: string | undefined; failure?: "sign_in_failed" | "password_change_failed" | "reauthentication_failed" } = {},
): Promise<AuthenticatedUser | null> {
  const now = new Date();
  const device = deviceIdFor(deviceCookie, username);
  const guessing = device ? [deviceKey(device)] : [accountKey(username), ipKey(client.ip)];
  const { right, user } = await guessUnderThrottle(guessing, { client, username }, now, async () => {
    const user = await findUserWithHash(username);
    return { user, right: user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummyHash(password) };
  });
  if (!user || !right) {
    await recordEvent({ type: failure, client, userId: user?.id ?? null, username });
    return null;
  }
  const { id, passwordHash, totpEnabledAt } = user;
  // A hash made at another BCRYPT_COST would time differently from the dummy hash.
  const storedHash = needsRehash(passwordHash) ? ((await upgradePasswordHash(id, passwordHash, password)) ?? passwordHash) : passwordHash;
  return { id, username, secondFactor: totpEnabledAt !== null, passwordStamp: passwordStampOf(storedHash) };
}

/**
 * A user whose password was right, whether a second factor must follow before
 * a session, and a stamp of the password's stored hash, which a pending
 * sign-in keeps (pendingSignInStillHolds).
 */
export type AuthenticatedUser = PublicUser & { secondFactor: boolean; passwordStamp: string };

/** 128 bits of the hash's SHA-256: tells a changed password without carrying the hash about. */
function passwordStampOf(passwordHash: string): string {
  return createHash("sha256").update(passwordHash).digest("base64url").slice(0, 22);
}

/**
 * Whether a pending sign-in (lib/auth/pending-sign-in.ts) may still be
 * finished: the password it passed is still the user's, and two-factor
 * authentication is still on. A password changed, or an operator's mfa-reset,
 * in its 5 minutes ends it.
 */
export async function pendingSignInStillHolds({ uid, passwordStamp }: { uid: number; passwordStamp: string }): Promise<boolean> {
  const state = await findSignInState(uid);
  return state !== null && state.totpEnabledAt !== null && passwordStampOf(state.passwordHash) === passwordStamp;
}

/**
 * The second factor, for a user whose password was just right (or who is
 * confirming it's them): a code from the authenticator app or a recovery code,
 * each good once (lib/auth/two-factor.ts). Guessed under throttles like the
 * password's, with keys of their own: per account (or per device of the
 * user's, lib/auth/device-cookie.ts) and per network. A wrong code says no more
 * than that, and is audited. Throws ThrottledError.
 */
export async function checkSecondFactor(
  user: PublicUser,
  code: string,
  client: Client,
  { deviceCookie }: { deviceCookie?: string | undefined } = {},
): Promise<boolean> {
  const now = new Date();
  const device = deviceIdFor(deviceCookie, user.username);
  const guessing = device ? [secondFactorDeviceKey(device)] : [secondFactorKey(user.id), ipKey(client.ip)];
  const { right } = await guessUnderThrottle(guessing, { client, username: user.username }, now, async () => ({
    right: (await verifySecondFactor(user, code, client, now)) !== null,
  }));
  if (!right) await recordEvent({ type: "two_factor_failed", client, userId: user.id, username: user.username });
  return right;
}

/**
 * One guess (a password, a code) under the throttles, the way Lucia's example
 * does it: take an attempt from every key first (refused while one is blocked,
 * even when the guess is right), then check; a right guess resets the first
 * guessing key and gives the others and the network's sign-in volume their
 * attempt back; a check the server could not make (HashingBusyError,
 * TotpKeyError) gives every attempt back.
 */
async function guessUnderThrottle<T extends { right: boolean }>(
  guessing: ThrottleKey[],
  { client, username }: { client: Client; username: string },
  now: Date,
  check: () => Promise<T>,
): Promise<T> {
  const volume = signInsKey(client.ip);
  try {
    await consumeAttempt([volume, ...guessing], now);
  } catch (error) {
    if (error instanceof ThrottledError) await noteThrottled(username, client);
    throw error;
  }
  let result;
  try {
    result = await check();
  } catch (error) {
    // The server's trouble, not a guess: all workers busy, or no key for authenticator secrets.
    if (error instanceof HashingBusyError || error instanceof TotpKeyError) await settleAttempt({ refund: [volume, ...guessing] }, now);
    throw error;
  }
  if (!result.right) return result;
  const [guessed, ...others] = guessing;
  await settleAttempt({ reset: guessed ? [guessed] : [], refund: others }, now);
  return result;
}

/**
 * Records a refused attempt, in the user's own activity when the account exists,
 * but once a minute per username at most: an attacker hammering a blocked
 * account must not flood the log (or the user's last-20 list) with one row per
 * request. Refusals that arrive together share one check.
 */
function noteThrottled(username: string, client: Client): Promise<void> {
  const running = notingThrottled.get(username);
  if (running) return running;
  const noting = (async () => {
    if (await hasRecentEvent("sign_in_throttled", username, 60)) return;
    const user = await findUserByUsername(username);
    await recordEvent({ type: "sign_in_throttled", client, userId: user?.id ?? null, username });
  })().finally(() => notingThrottled.delete(username));
  notingThrottled.set(username, noting);
  return noting;
}

const notingThrottled = new Map<string, Promise<void>>();

/**
 * A sign-in with a passkey (lib/auth/passkeys.ts): the user it proves, or
 * null. A passkey cannot be guessed, so only the network's sign-in volume
 * counts it. Throws ThrottledError.
 */
export async function authenticateWithPasskey(response: AuthenticationResponseJSON, client: Client): Promise<PublicUser | null> {
  await consumeAttempt([signInsKey(client.ip)]);
  return finishPasskeySignIn(response, client);
}

/**
 * A challenge for a passkey sign-in. Each is a row until it expires, so asking
 * counts against the network's sign-in volume too. Throws ThrottledError.
 */
export async function challengeForPasskeySignIn(client: Client): Promise<PublicKeyCredentialRequestOptionsJSON> {
  await consumeAttempt([signInsKey(client.ip)]);
  return beginPasskeySignIn();
}

/** Starts a session for a user who just proved who they are, and sets its cookie. */
export async function startSession(user: PublicUser, options: NewSession): Promise<void> {
  const token = generateSessionToken();
  await createSession(token, user, options);
  await setSessionCookie({ sid: token, uid: user.id }, options.persistent);
  await rememberDevice(user.username);
  await recordEvent({ type: "sign_in", client: options.client, userId: user.id, username: user.username });
  if (Math.random() < 0.01) await pruneSessions();
}
