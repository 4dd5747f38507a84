import "server-only";
import { recordEvent } from "../audit";
import { markSessionAuthenticated } from "../db/sessions";
import type { Client } from "../http/client-address";
import type { ValidatedSession } from "../session/store";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { HashingBusyError, secondFactorRefusal } from "./errors";
import { finishPasskeySignIn } from "./passkeys";
import { authenticate, checkSecondFactor } from "./sign-in";
import type { FieldErrors } from "./validation";

// "Confirm it's you" (OWASP ASVS 5 V7.5.1): changing the password, turning
// two-factor authentication on or off, new recovery codes need the user to
// have proved who they are within the last few minutes, not just a session
// cookie, which could be a borrowed browser's or a thief's
// (RECENT_SIGN_IN_SECONDS, lib/session/store.ts).

/** Why the user was not confirmed, for the form: an error by field, or a message. */
export type IdentityRefusal = { errors?: FieldErrors<"password" | "code">; message?: string };

/**
 * Checks the password, and the second factor where it is on, as at sign-in and
 * under the same throttles, and marks this session as freshly authenticated:
 * null then, else what to tell the user. The code is looked at only after a
 * right password, so a wrong password never uses one up.
 */
export async function confirmIdentity(
  { session, user }: ValidatedSession,
  { password, code }: { password: string; code: string },
  client: Client,
  deviceCookie?: string,
): Promise<IdentityRefusal | null> {
  if (password === "") return { errors: { password: "Enter your password." } };
  try {
    const verified = await authenticate({ username: user.username, password }, client, { deviceCookie, failure: "reauthentication_failed" });
    if (!verified) return { errors: { password: "Wrong password." } };
    if (verified.secondFactor) {
      if (code.trim() === "") return { errors: { code: "Enter a code." } };
      if (!(await checkSecondFactor(user, code, client, { deviceCookie }))) return { errors: { code: "Invalid code." } };
    }
  } catch (error) {
    if (error instanceof HashingBusyError) return { message: error.message };
    const message = secondFactorRefusal(error);
    if (message) return { message };
    throw error;
  }
  await markConfirmed(session, user, client);
  return null;
}

/**
 * "Confirm it's you" with a passkey instead (both factors at once): it must be
 * one of this user's. Null when confirmed, else what to tell the user.
 */
export async function confirmIdentityWithPasskey(
  { session, user }: ValidatedSession,
  response: AuthenticationResponseJSON,
  client: Client,
): Promise<IdentityRefusal | null> {
  if (!(await finishPasskeySignIn(response, client, { onlyUserId: user.id }))) {
    return { message: "That passkey was not accepted: use one of this account's, and try again." };
  }
  await markConfirmed(session, user, client);
  return null;
}

async function markConfirmed(session: ValidatedSession["session"], user: ValidatedSession["user"], client: Client): Promise<void> {
  const now = new Date();
  await markSessionAuthenticated(session.id, now);
  session.authenticatedAt = now;
  await recordEvent({ type: "reauthenticated", client, userId: user.id, username: user.username });
}
