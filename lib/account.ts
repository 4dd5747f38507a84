// What a signed-in user does on /account: change the password, see and end
// their sessions, read their recent security activity.
import "server-only";
import { listRecentEvents, recordEvent } from "./audit";
import { setPasswordAndSignOut } from "./auth/accounts";
import { authenticate } from "./auth/sign-in";
import { arePasskeysAvailable, listPasskeys } from "./auth/passkeys";
import { isTwoFactorEnabled } from "./auth/two-factor";
import type { Client } from "./http/client-address";
import { isSessionId, listActiveSessions, revokeUserSession, revokeUserSessions, type ValidatedSession } from "./session/store";

/**
 * Changes the signed-in user's password after checking the current one, then
 * signs out every other session (a thief's included). The current password is
 * guessed under the same throttle as sign-in, so a stolen session cannot be
 * used to brute-force it. Throws ThrottledError when throttled,
 * HashingBusyError when every password worker is taken.
 */
export async function changePassword(
  { session, user }: ValidatedSession,
  current: string,
  next: string,
  client: Client,
  deviceCookie?: string,
): Promise<"changed" | "wrong-password"> {
  const verified = await authenticate({ username: user.username, password: current }, client, {
    deviceCookie,
    failure: "password_change_failed",
  });
  if (!verified) return "wrong-password";
  const revoked = await setPasswordAndSignOut(user.username, next, session.id);
  await recordEvent({ type: "password_changed", client, userId: user.id, detail: `${revoked} other session(s) signed out` });
  return "changed";
}

/**
 * The user's sessions that still count, their last 20 security events, whether
 * two-factor authentication is on, and their passkeys (null where this server offers none).
 */
export async function accountOverview(userId: number) {
  const [sessions, events, twoFactorOn, passkeys] = await Promise.all([
    listActiveSessions(userId),
    listRecentEvents(userId),
    isTwoFactorEnabled(userId),
    arePasskeysAvailable() ? listPasskeys(userId) : null,
  ]);
  return { sessions, events, twoFactorOn, passkeys };
}

/** Ends one of the user's other sessions; a session id that is not theirs ends nothing. */
export async function revokeOtherSession({ user }: ValidatedSession, sessionId: string, client: Client): Promise<void> {
  // The form's id is the client's to edit; one no session can have is not even looked up.
  if (!isSessionId(sessionId)) return;
  if (await revokeUserSession(user.id, sessionId)) await recordEvent({ type: "session_revoked", client, userId: user.id });
}

/** "Sign out everywhere else": every session of the user but this one. */
export async function revokeOtherSessions({ session, user }: ValidatedSession, client: Client): Promise<void> {
  const ended = await revokeUserSessions(user.id, session.id);
  await recordEvent({ type: "sessions_revoked", client, userId: user.id, detail: `${ended} session(s)` });
}
