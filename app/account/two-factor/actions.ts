"use server";
import { refresh } from "next/cache";
import { redirect } from "next/navigation";
import { confirmIdentity } from "@/lib/auth/confirm-identity";
import { readDeviceCookie } from "@/lib/auth/device-cookie";
import { beginTotpSetup, confirmTotpSetup, renewRecoveryCodes, turnOffTwoFactor } from "@/lib/auth/two-factor";
import { formString, type FieldErrors } from "@/lib/auth/validation";
import { requireRecentSignIn, requireSession, type ValidatedSession } from "@/lib/dal";
import { getClient, type Client } from "@/lib/http/client-address";
import { catchUnavailable, UNAVAILABLE_FORM_MESSAGE } from "@/lib/http/service-unavailable";

const PAGE = "/account/two-factor";

/** What the set-up, new-codes and turn-off forms show: field errors, a message, or the new recovery codes (once). */
export type TwoFactorFormState = {
  errors?: FieldErrors<"password" | "code">;
  message?: string;
  recoveryCodes?: string[];
};

const unavailable = (): TwoFactorFormState => ({ message: UNAVAILABLE_FORM_MESSAGE });

/** "Set up": a new secret, shown on the page until a code confirms it. Needs a recent sign-in. */
export async function beginSetupAction(): Promise<TwoFactorFormState> {
  const started = await catchUnavailable(
    "two-factor set-up form",
    async () => {
      const { user } = await requireRecentSignIn(PAGE);
      await beginTotpSetup(user);
      return true;
    },
    () => false,
  );
  if (!started) return unavailable();
  redirect(PAGE);
}

/** The first code from the app turns two-factor authentication on; the recovery codes come back, once. */
export async function confirmSetupAction(_previous: TwoFactorFormState, formData: FormData): Promise<TwoFactorFormState> {
  const code = formString(formData, "code");
  if (code.trim() === "") return { errors: { code: "Enter the code your app shows." } };
  return catchUnavailable<TwoFactorFormState>(
    "two-factor confirm form",
    async () => {
      const { user } = await requireRecentSignIn(PAGE);
      const recoveryCodes = await confirmTotpSetup(user, code, await getClient());
      if (!recoveryCodes) return { errors: { code: "Invalid code. Check the app's clock, or scan the QR code again." } };
      // The page around the form shows the new state (without JavaScript it is rendered again anyway).
      refresh();
      return { recoveryCodes };
    },
    unavailable,
  );
}

/** New recovery codes in place of the old: needs the password and a current code. */
export async function renewRecoveryCodesAction(_previous: TwoFactorFormState, formData: FormData): Promise<TwoFactorFormState> {
  return withPasswordAndCode("new recovery codes form", formData, async ({ user }, client) => {
    const recoveryCodes = await renewRecoveryCodes(user, client);
    refresh();
    return { recoveryCodes };
  });
}

/** Turns two-factor authentication off: needs the password and a current code. */
export async function turnOffAction(_previous: TwoFactorFormState, formData: FormData): Promise<TwoFactorFormState> {
  const state = await withPasswordAndCode("turn-off form", formData, async ({ user }, client) => {
    await turnOffTwoFactor(user, client);
    return null;
  });
  if (state) return state;
  redirect(PAGE);
}

/** Runs `work` once the password and a current code (app or recovery) prove it's the user, as "Confirm it's you" does. */
async function withPasswordAndCode<T extends TwoFactorFormState | null>(
  form: string,
  formData: FormData,
  work: (current: ValidatedSession, client: Client) => Promise<T>,
): Promise<TwoFactorFormState | T> {
  return catchUnavailable<TwoFactorFormState | T>(
    form,
    async () => {
      const current = await requireSession(PAGE);
      const client = await getClient();
      const input = { password: formString(formData, "password"), code: formString(formData, "code") };
      return (await confirmIdentity(current, input, client, await readDeviceCookie())) ?? work(current, client);
    },
    unavailable,
  );
}
