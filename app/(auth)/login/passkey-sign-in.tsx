"use client";
import type { AuthenticationResponseJSON } from "@simplewebauthn/browser";
import { PasskeyButton } from "@/app/ui/passkey-button";

/** The answer to POST /api/passkeys/sign-in, which sets the session cookie when it is right. */
async function signInWithAnswer(response: AuthenticationResponseJSON): Promise<{ error?: string }> {
  const answer = await fetch("/api/passkeys/sign-in", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ response }) });
  if (answer.ok) return {};
  const { error } = (await answer.json().catch(() => ({}))) as { error?: string };
  return { error: error === "Passkey not recognised" ? "That passkey is not one of this site's accounts." : (error ?? "Passkey sign-in failed.") };
}

/** "Sign in with a passkey": both factors at once (lib/auth/passkeys.ts). */
export function PasskeySignIn({ next }: { next: string }) {
  return <PasskeyButton label="Sign in with a passkey" next={next} finish={signInWithAnswer} />;
}
