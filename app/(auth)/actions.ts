"use server";
import { redirect } from "next/navigation";
import { recordEvent } from "@/lib/audit";
import { authenticate, createAccount, signOutThisBrowser, startSession } from "@/lib/auth";
import { readDeviceCookie } from "@/lib/device-cookie";
import { isSignupOpen } from "@/lib/config";
import { getClient } from "@/lib/request-context";
import { HashingBusyError } from "@/lib/password-workers";
import { safeNextPath } from "@/lib/safe-next";
import { consumeAttempt, signupKey, ThrottledError } from "@/lib/throttle";
import { catchUnavailable, UNAVAILABLE_FORM_MESSAGE } from "@/lib/unavailable";
import { UsernameTakenError } from "@/lib/users";
import { checkSignup, credentialsSchema, firstIssue, formString, type Credentials, type FieldErrors } from "@/lib/validation";

export type LoginState = {
  error?: string;
  /** Echoed back so the form keeps it; the password never is. */
  username?: string;
};

export async function loginAction(_previous: LoginState, formData: FormData): Promise<LoginState> {
  const typedUsername = formString(formData, "username").slice(0, 256);
  const parsed = credentialsSchema.safeParse({ username: formData.get("username"), password: formData.get("password") });
  if (!parsed.success) return { error: firstIssue(parsed.error), username: typedUsername };

  const refused = await catchUnavailable(
    "sign-in form",
    () => signIn(parsed.data, formData, typedUsername),
    (): LoginState => ({ error: UNAVAILABLE_FORM_MESSAGE, username: typedUsername }),
  );
  if (refused) return refused;
  redirect(safeNextPath(formData.get("next")));
}

/** Checks the credentials and starts the session; the state to show instead when it cannot. */
async function signIn(credentials: Credentials, formData: FormData, typedUsername: string): Promise<LoginState | null> {
  const client = await getClient();
  let user;
  try {
    user = await authenticate(credentials, client, { deviceCookie: await readDeviceCookie() });
  } catch (error) {
    if (error instanceof ThrottledError || error instanceof HashingBusyError) return { error: error.message, username: typedUsername };
    throw error;
  }
  if (!user) return { error: "Invalid username or password.", username: typedUsername };
  await startSession(user, { persistent: formData.get("remember") === "on", client });
  return null;
}

export async function logoutAction(): Promise<void> {
  // A server action cannot send Clear-Site-Data: the cookie's deletion (Set-Cookie) is the sign-out.
  redirect(await signOutThisBrowser(await getClient()));
}

export type SignupState = {
  errors?: FieldErrors<"username" | "password" | "confirm">;
  message?: string;
  username?: string;
};

export async function signupAction(_previous: SignupState, formData: FormData): Promise<SignupState> {
  const typedUsername = formString(formData, "username").slice(0, 256);
  if (!isSignupOpen()) return { message: "Sign-up is closed.", username: typedUsername };

  const refused = await catchUnavailable(
    "sign-up form",
    () => signUp(formData, typedUsername),
    (): SignupState => ({ message: UNAVAILABLE_FORM_MESSAGE, username: typedUsername }),
  );
  if (refused) return refused;
  redirect("/dashboard");
}

/** Creates the account and signs it in; the state to show instead when it cannot. */
async function signUp(formData: FormData, typedUsername: string): Promise<SignupState | null> {
  const client = await getClient();
  // Every attempt counts, successful or not: creating accounts in bulk is the abuse.
  try {
    await consumeAttempt([signupKey(client.ip)]);
  } catch (error) {
    if (!(error instanceof ThrottledError)) throw error;
    await recordEvent({ type: "sign_up_throttled", client, username: typedUsername });
    return { message: error.message, username: typedUsername };
  }

  const checked = await checkSignup({
    username: typedUsername,
    password: formString(formData, "password"),
    confirm: formString(formData, "confirm"),
  });
  if (!checked.ok) return { errors: checked.errors, username: typedUsername };

  try {
    await createAccount({ username: checked.username, password: formString(formData, "password") }, client);
  } catch (error) {
    if (error instanceof UsernameTakenError) return { errors: { username: error.message }, username: typedUsername };
    if (error instanceof HashingBusyError) return { message: error.message, username: typedUsername };
    throw error;
  }
  return null;
}
