"use server";
import { redirect } from "next/navigation";
import { changePassword, revokeOtherSession, revokeOtherSessions } from "@/lib/account";
import { readDeviceCookie } from "@/lib/auth/device-cookie";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { confirmIdentity, confirmIdentityWithPasskey, type IdentityRefusal } from "@/lib/auth/confirm-identity";
import { authenticationResponseSchema } from "@/lib/auth/passkeys";
import { HashingBusyError, ThrottledError } from "@/lib/auth/errors";
import { signOutThisBrowser } from "@/lib/auth/sign-out";
import { safeNextPath } from "@/lib/http/safe-next";
import { checkPasswordChange, formString, type FieldErrors } from "@/lib/auth/validation";
import { requireRecentSignIn, requireSession } from "@/lib/dal";
import { getClient } from "@/lib/http/client-address";
import { catchUnavailable, UNAVAILABLE_FORM_MESSAGE } from "@/lib/http/service-unavailable";

export type ChangePasswordState = {
  errors?: FieldErrors<"current" | "password" | "confirm">;
  message?: string;
  done?: boolean;
};

/** What the Revoke and "Sign out everywhere else" forms show when their action could not run. */
export type SessionFormState = { message?: string };

export async function changePasswordAction(_previous: ChangePasswordState, formData: FormData): Promise<ChangePasswordState> {
  return catchUnavailable("change-password form", () => changeOwnPassword(formData), () => ({ message: UNAVAILABLE_FORM_MESSAGE }));
}

async function changeOwnPassword(formData: FormData): Promise<ChangePasswordState> {
  const current = await requireRecentSignIn("/account");
  const input = {
    current: formString(formData, "current"),
    password: formString(formData, "password"),
    confirm: formString(formData, "confirm"),
  };
  const errors = await checkPasswordChange(input, current.user.username);
  if (errors) return { errors };
  try {
    const result = await changePassword(current, input.current, input.password, await getClient(), await readDeviceCookie());
    if (result === "wrong-password") return { errors: { current: "Current password is incorrect." } };
  } catch (error) {
    if (error instanceof ThrottledError || error instanceof HashingBusyError) return { message: error.message };
    throw error;
  }
  return { done: true, message: "Password changed. Your other sessions were signed out." };
}

export async function revokeSessionAction(_previous: SessionFormState, formData: FormData): Promise<SessionFormState> {
  const sessionId = formString(formData, "sessionId");
  const isThisSession = await catchUnavailable(
    "revoke-session form",
    async () => {
      const current = await requireSession("/account");
      if (sessionId === current.session.id) return true;
      await revokeOtherSession(current, sessionId, await getClient());
      return false;
    },
    () => null,
  );
  if (isThisSession === null) return { message: UNAVAILABLE_FORM_MESSAGE };
  // Signing this browser out is the Sign out button's job, database trouble included; it redirects.
  if (isThisSession) redirect(await signOutThisBrowser(await getClient()));
  redirect("/account");
}

export async function revokeOtherSessionsAction(): Promise<SessionFormState> {
  const done = await catchUnavailable(
    "sign-out-everywhere form",
    async () => {
      await revokeOtherSessions(await requireSession("/account"), await getClient());
      return true;
    },
    () => false,
  );
  if (!done) return { message: UNAVAILABLE_FORM_MESSAGE };
  redirect("/account");
}

export type ConfirmIdentityState = IdentityRefusal;

/** "Confirm it's you": the password (and a code, where two-factor authentication is on), then back to where the user was going. */
export async function confirmIdentityAction(_previous: ConfirmIdentityState, formData: FormData): Promise<ConfirmIdentityState> {
  const next = safeNextPath(formData.get("next"));
  const refused = await catchUnavailable(
    "confirm-identity form",
    async () => {
      const current = await requireSession(`/account/confirm?next=${encodeURIComponent(next)}`);
      const input = { password: formString(formData, "password"), code: formString(formData, "code") };
      return confirmIdentity(current, input, await getClient(), await readDeviceCookie());
    },
    (): ConfirmIdentityState => ({ message: UNAVAILABLE_FORM_MESSAGE }),
  );
  if (refused) return refused;
  redirect(next);
}

/** "Confirm it's you" with a passkey: the authenticator's answer (app/ui/passkey-button.tsx), checked as at sign-in. */
export async function confirmWithPasskeyAction(response: unknown): Promise<{ error?: string }> {
  const parsed = authenticationResponseSchema.safeParse(response);
  if (!parsed.success) return { error: "The browser's answer was not a passkey's." };
  return catchUnavailable(
    "confirm-identity passkey",
    async () => {
      const current = await requireSession("/account/confirm");
      const refusal = await confirmIdentityWithPasskey(current, parsed.data as AuthenticationResponseJSON, await getClient());
      return refusal?.message ? { error: refusal.message } : {};
    },
    () => ({ error: UNAVAILABLE_FORM_MESSAGE }),
  );
}
