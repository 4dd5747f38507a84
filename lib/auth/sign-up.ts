import "server-only";
import { recordEvent } from "../audit";
import type { Client } from "../http/client-address";
import { setSessionCookie } from "../session/cookie";
import { generateSessionToken } from "../session/store";
import { createUserWithSession, UsernameTakenError, type PublicUser } from "./accounts";
import { rememberDevice } from "./device-cookie";
import { HashingBusyError } from "./password-workers";
import { consumeAttempt, signupKey, ThrottledError } from "./throttle";
import { checkSignup, type Credentials, type FieldErrors } from "./validation";

export type SignUpInput = { username: string; password: string; confirm: string };

/** Why no account was made: a problem per field, or one for the whole form. */
export type SignUpRefusal = { errors?: FieldErrors<"username" | "password" | "confirm">; message?: string };

/**
 * Sign-up from the form: throttled per network (every attempt counts, right or
 * wrong: creating accounts in bulk is the abuse), checked, then created and
 * signed in. Null when the account exists and this browser is signed in to it.
 */
export async function signUp(input: SignUpInput, client: Client): Promise<SignUpRefusal | null> {
  try {
    await consumeAttempt([signupKey(client.ip)]);
  } catch (error) {
    if (!(error instanceof ThrottledError)) throw error;
    await recordEvent({ type: "sign_up_throttled", client, username: input.username });
    return { message: error.message };
  }
  const checked = await checkSignup(input);
  if (!checked.ok) return { errors: checked.errors };
  try {
    await createAccount({ username: checked.username, password: input.password }, client);
  } catch (error) {
    if (error instanceof UsernameTakenError) return { errors: { username: error.message } };
    if (error instanceof HashingBusyError) return { message: error.message };
    throw error;
  }
  return null;
}

/**
 * Creates the account and signs it in: the user, the session and their audit
 * rows in one transaction (lib/auth/accounts.ts), then the cookie. `username` must
 * already be normalised and checked, `password` checked against the policy.
 * Throws UsernameTakenError.
 */
async function createAccount({ username, password }: Credentials, client: Client): Promise<PublicUser> {
  const token = generateSessionToken();
  const user = await createUserWithSession(username, password, token, { persistent: false, client });
  await setSessionCookie({ sid: token, uid: user.id }, false);
  await rememberDevice(user.username);
  return user;
}

