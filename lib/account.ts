import "server-only";
import { recordEvent } from "./audit";
import { authenticate } from "./auth";
import type { Client } from "./request-context";
import type { ValidatedSession } from "./session-lookup";
import { setPasswordAndSignOut } from "./users";

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
