"use server";
import { redirect } from "next/navigation";
import { readDeviceCookie } from "@/lib/auth/device-cookie";
import { HashingBusyError, ThrottledError } from "@/lib/auth/errors";
import { authenticate, startSession } from "@/lib/auth/sign-in";
import { signOutThisBrowser } from "@/lib/auth/sign-out";
import { signUp, type SignUpRefusal } from "@/lib/auth/sign-up";
import { credentialsSchema, firstIssue, formString, type Credentials } from "@/lib/auth/validation";
import { isSignupOpen } from "@/lib/config";
import { getClient } from "@/lib/http/client-address";
import { safeNextPath } from "@/lib/http/safe-next";
import { catchUnavailable, UNAVAILABLE_FORM_MESSAGE } from "@/lib/http/service-unavailable";

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

export type SignupState = SignUpRefusal & { username?: string };

export async function signupAction(_previous: SignupState, formData: FormData): Promise<SignupState> {
  const typedUsername = formString(formData, "username").slice(0, 256);
  if (!isSignupOpen()) return { message: "Sign-up is closed.", username: typedUsername };

  const refused = await catchUnavailable(
    "sign-up form",
    async () => {
      const input = { username: typedUsername, password: formString(formData, "password"), confirm: formString(formData, "confirm") };
      const refusal = await signUp(input, await getClient());
      return refusal && { ...refusal, username: typedUsername };
    },
    (): SignupState => ({ message: UNAVAILABLE_FORM_MESSAGE, username: typedUsername }),
  );
  if (refused) return refused;
  redirect("/dashboard");
}
