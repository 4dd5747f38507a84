import "server-only";
import { recordEvent } from "./audit";
import { verifyPassword } from "./password";
import type { Client } from "./request-context";
import type { ValidatedSession } from "./session-lookup";
import { accountKey, consumeAttempt, ipKey, settleSuccess } from "./throttle";
import { findUserWithHash, setPasswordAndSignOut } from "./users";

/**
 * Changes the signed-in user's password after checking the current one, then
 * signs out every other session (a thief's included). The current password is
 * guessed under the same throttle as sign-in, so a stolen session cannot be
 * used to brute-force it. Throws ThrottledError when throttled.
 */
export async function changePassword(
  { session, user }: ValidatedSession,
  current: string,
  next: string,
  client: Client,
): Promise<"changed" | "wrong-password"> {
  const account = accountKey(user.username);
  const address = ipKey(client.ip);
  await consumeAttempt([account, address]);
  const stored = await findUserWithHash(user.username);
  if (!stored || !(await verifyPassword(current, stored.passwordHash))) {
    await recordEvent({ type: "password_change_failed", client, userId: user.id });
    return "wrong-password";
  }
  await settleSuccess({ reset: [account], refund: [address] });
  const revoked = await setPasswordAndSignOut(user.username, next, session.id);
  await recordEvent({ type: "password_changed", client, userId: user.id, detail: `${revoked} other session(s) signed out` });
  return "changed";
}
