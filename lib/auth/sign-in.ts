import "server-only";
import { hasRecentEvent, recordEvent } from "../audit";
import type { Client } from "../http/client-address";
import { setSessionCookie } from "../session/cookie";
import { createSession, generateSessionToken, pruneSessions, type NewSession } from "../session/store";
import { findUserByUsername, findUserWithHash, upgradePasswordHash, type PublicUser } from "./accounts";
import { deviceIdFor, rememberDevice } from "./device-cookie";
import { needsRehash, verifyAgainstDummyHash, verifyPassword } from "./password";
import { HashingBusyError } from "./password-workers";
import { accountKey, consumeAttempt, deviceKey, ipKey, settleAttempt, signInsKey, ThrottledError } from "./throttle";
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
  { deviceCookie, failure = "sign_in_failed" }: { deviceCookie?: string | undefined; failure?: "sign_in_failed" | "password_change_failed" } = {},
): Promise<PublicUser | null> {
  const now = new Date();
  const device = deviceIdFor(deviceCookie, username);
  const guessing = device ? [deviceKey(device)] : [accountKey(username), ipKey(client.ip)];
  const volume = signInsKey(client.ip);
  try {
    await consumeAttempt([volume, ...guessing], now);
  } catch (error) {
    if (error instanceof ThrottledError) await noteThrottled(username, client);
    throw error;
  }
  let user, valid;
  try {
    user = await findUserWithHash(username);
    valid = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummyHash(password);
  } catch (error) {
    if (error instanceof HashingBusyError) await settleAttempt({ refund: [volume, ...guessing] }, now);
    throw error;
  }
  if (!user || !valid) {
    await recordEvent({ type: failure, client, userId: user?.id ?? null, username });
    return null;
  }
  const [guessed, ...others] = guessing;
  await settleAttempt({ reset: guessed ? [guessed] : [], refund: others }, now);
  // A hash made at another BCRYPT_COST would time differently from the dummy hash.
  if (needsRehash(user.passwordHash)) await upgradePasswordHash(user.id, user.passwordHash, password);
  return { id: user.id, username: user.username };
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

/** Starts a session for a user who just proved who they are, and sets its cookie. */
export async function startSession(user: PublicUser, options: NewSession): Promise<void> {
  const token = generateSessionToken();
  await createSession(token, user, options);
  await setSessionCookie({ sid: token, uid: user.id }, options.persistent);
  await rememberDevice(user.username);
  await recordEvent({ type: "sign_in", client: options.client, userId: user.id, username: user.username });
  if (Math.random() < 0.01) await pruneSessions();
}
