import "server-only";
import { hasRecentEvent, recordEvent } from "./audit";
import { deviceIdFor, rememberDevice } from "./device-cookie";
import { needsRehash, verifyAgainstDummyHash, verifyPassword } from "./password";
import { HashingBusyError } from "./password-workers";
import type { Client } from "./request-context";
import { createSession, pruneSessions, revokeSession, type NewSession } from "./session";
import { generateSessionToken, sessionIdFromToken } from "./session-lookup";
import { deleteSessionCookie, readSessionCookie, setSessionCookie } from "./session-cookie";
import { accountKey, consumeAttempt, deviceKey, ipKey, settleAttempt, signInsKey, ThrottledError } from "./throttle";
import { catchUnavailable } from "./unavailable";
import { createUserWithSession, findUserByUsername, findUserWithHash, upgradePasswordHash, type PublicUser } from "./users";
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
 * A browser with this user's device cookie (lib/device-cookie.ts) guesses
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

/**
 * Creates the account and signs it in: the user, the session and their audit
 * rows in one transaction (lib/users.ts), then the cookie. `username` must
 * already be normalised and checked, `password` checked against the policy.
 * Throws UsernameTakenError.
 */
export async function createAccount({ username, password }: Credentials, client: Client): Promise<PublicUser> {
  const token = generateSessionToken();
  const user = await createUserWithSession(username, password, token, { persistent: false, client });
  await setSessionCookie({ sid: token, uid: user.id }, false);
  await rememberDevice(user.username);
  return user;
}

/** Ends this request's session on the server and in the browser. */
export async function endSession(client: Client): Promise<void> {
  const cookie = await readSessionCookie();
  if (cookie.ok) {
    await revokeSession(sessionIdFromToken(cookie.data.sid));
    await recordEvent({ type: "sign_out", client, userId: cookie.data.uid });
  }
  await deleteSessionCookie();
}

/**
 * Signs this browser out (the Sign out button, "revoke this session") and says
 * where to land. The cookie goes even when the database cannot revoke the row:
 * whoever pressed Sign out expects this browser to be signed out now (a shared
 * computer), and waiting for the database would leave it signed in. The row
 * then stays valid until its idle timeout, which the landing page says.
 */
export async function signOutThisBrowser(client: Client): Promise<string> {
  const recorded = await catchUnavailable(
    "sign-out",
    async () => {
      await endSession(client);
      return true;
    },
    () => false,
  );
  if (recorded) return "/login?signed-out=1";
  await deleteSessionCookie();
  return "/login?signed-out=unrecorded";
}
