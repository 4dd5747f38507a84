"use server";
import { redirect } from "next/navigation";
import { readDeviceCookie } from "@/lib/auth/device-cookie";
import { HashingBusyError, secondFactorRefusal, ThrottledError } from "@/lib/auth/errors";
import { deletePendingSignInCookie, readPendingSignIn, setPendingSignInCookie } from "@/lib/auth/pending-sign-in";
import { authenticate, checkSecondFactor, pendingSignInStillHolds, startSession } from "@/lib/auth/sign-in";
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

  const outcome = await catchUnavailable(
    "sign-in form",
    () => signIn(parsed.data, formData, typedUsername),
    (): LoginState => ({ error: UNAVAILABLE_FORM_MESSAGE, username: typedUsername }),
  );
  const next = safeNextPath(formData.get("next"));
  if (outcome === "second-factor") redirect(`/login/two-factor?next=${encodeURIComponent(next)}`);
  if (outcome !== "signed-in") return outcome;
  redirect(next);
}

/**
 * Checks the credentials and starts the session, or, for an account with
 * two-factor authentication on, the pending sign-in its second step finishes;
 * the state to show instead when it cannot.
 */
async function signIn(credentials: Credentials, formData: FormData, typedUsername: string): Promise<LoginState | "signed-in" | "second-factor"> {
  const client = await getClient();
  let user;
  try {
    user = await authenticate(credentials, client, { deviceCookie: await readDeviceCookie() });
  } catch (error) {
    if (error instanceof ThrottledError || error instanceof HashingBusyError) return { error: error.message, username: typedUsername };
    throw error;
  }
  if (!user) return { error: "Invalid username or password.", username: typedUsername };
  const persistent = formData.get("remember") === "on";
  if (user.secondFactor) {
    await setPendingSignInCookie({ uid: user.id, username: user.username, persistent, passwordAt: new Date(), passwordStamp: user.passwordStamp });
    return "second-factor";
  }
  await startSession(user, { persistent, client });
  return "signed-in";
}

export type SecondFactorState = { error?: string; expired?: boolean };

/** The second sign-in step: a code for the pending sign-in this browser's cookie holds. */
export async function secondFactorAction(_previous: SecondFactorState, formData: FormData): Promise<SecondFactorState> {
  const code = formString(formData, "code");
  if (code.trim() === "") return { error: "Enter a code." };
  const refused = await catchUnavailable(
    "second-factor form",
    async (): Promise<SecondFactorState | null> => {
      const pending = await readPendingSignIn();
      if (!pending) return { expired: true, error: "This sign-in has expired. Sign in again." };
      // Its cookie stays: deleting it would re-render this page as "expired" and lose the reason.
      if (!(await pendingSignInStillHolds(pending))) return { expired: true, error: "Your account changed since you entered your password. Sign in again." };
      const client = await getClient();
      const user = { id: pending.uid, username: pending.username };
      try {
        if (!(await checkSecondFactor(user, code, client, { deviceCookie: await readDeviceCookie() }))) return { error: "Invalid code." };
      } catch (error) {
        const message = secondFactorRefusal(error);
        if (message) return { error: message };
        throw error;
      }
      await deletePendingSignInCookie();
      await startSession(user, { persistent: pending.persistent, client });
      return null;
    },
    (): SecondFactorState => ({ error: UNAVAILABLE_FORM_MESSAGE }),
  );
  if (refused) return refused;
  redirect(safeNextPath(formData.get("next")));
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
