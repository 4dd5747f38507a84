"use server";
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { refresh } from "next/cache";
import { redirect } from "next/navigation";
import {
  arePasskeysAvailable,
  beginPasskeyRegistration,
  finishPasskeyRegistration,
  PASSKEY_NAME_MAX,
  registrationResponseSchema,
  removePasskey,
} from "@/lib/auth/passkeys";
import { formString } from "@/lib/auth/validation";
import { confirmIdentityPath, requireRecentSignIn, requireSessionWithRecentSignIn } from "@/lib/dal";
import { getClient } from "@/lib/http/client-address";
import { catchUnavailable, UNAVAILABLE_FORM_MESSAGE } from "@/lib/http/service-unavailable";

// Adding and removing passkeys on /account. Both need a sign-in within the last
// 10 minutes (lib/session/store.ts RECENT_SIGN_IN_SECONDS): adding one is
// adding a way in.

const PAGE = "/account";

export type PasskeyRegistrationStart = { options: PublicKeyCredentialCreationOptionsJSON } | { confirmFirst: string } | { error: string };

/** Step 1 of adding a passkey: the options for `navigator.credentials.create()`, or where to go first. */
export async function startPasskeyRegistrationAction(): Promise<PasskeyRegistrationStart> {
  return catchUnavailable<PasskeyRegistrationStart>(
    "add-passkey form",
    async () => {
      const current = await requireSessionWithRecentSignIn(PAGE);
      if (!current) return { confirmFirst: confirmIdentityPath(PAGE) };
      if (!arePasskeysAvailable()) return { error: "Passkeys are not available on this server." };
      return { options: await beginPasskeyRegistration(current.user) };
    },
    () => ({ error: UNAVAILABLE_FORM_MESSAGE }),
  );
}

/** Step 2: the passkey the browser made, kept under the name the user gave it. */
export async function finishPasskeyRegistrationAction(name: unknown, response: unknown): Promise<{ error?: string; confirmFirst?: string }> {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (trimmed === "" || trimmed.length > PASSKEY_NAME_MAX) return { error: `Name the passkey, in at most ${PASSKEY_NAME_MAX} characters.` };
  const parsed = registrationResponseSchema.safeParse(response);
  if (!parsed.success) return { error: "The browser's answer was not a passkey." };
  return catchUnavailable<{ error?: string; confirmFirst?: string }>(
    "add-passkey form",
    async () => {
      const current = await requireSessionWithRecentSignIn(PAGE);
      if (!current) return { confirmFirst: confirmIdentityPath(PAGE) };
      const added = await finishPasskeyRegistration(current.user, trimmed, parsed.data as RegistrationResponseJSON, await getClient());
      if (!added) return { error: "The passkey could not be added (the request expired, or was not this site's). Try again." };
      refresh();
      return {};
    },
    () => ({ error: UNAVAILABLE_FORM_MESSAGE }),
  );
}

export type RemovePasskeyState = { message?: string };

export async function removePasskeyAction(_previous: RemovePasskeyState, formData: FormData): Promise<RemovePasskeyState> {
  const removed = await catchUnavailable(
    "remove-passkey form",
    async () => {
      const { user } = await requireRecentSignIn(PAGE);
      await removePasskey(user, formString(formData, "passkeyId"), await getClient());
      return true;
    },
    () => false,
  );
  if (!removed) return { message: UNAVAILABLE_FORM_MESSAGE };
  redirect(PAGE);
}
