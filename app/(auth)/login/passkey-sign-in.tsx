"use client";
import { useState } from "react";
import { describePasskeyError } from "@/app/ui/passkey-error";
import { useHydrated } from "@/app/ui/use-hydrated";

async function post(path: string, body: unknown): Promise<{ ok: boolean; data: { error?: string; options?: unknown } }> {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { ok: response.ok, data: await response.json().catch(() => ({ error: "Service unavailable, try again shortly." })) };
}

/**
 * "Sign in with a passkey": both factors at once, no username needed
 * (discoverable credentials). The WebAuthn browser code is loaded only when
 * the button is pressed, so the sign-in page stays as light as it was.
 * Needs JavaScript, and says so without it.
 */
export function PasskeySignIn({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = useHydrated();

  async function signIn() {
    setBusy(true);
    setError(null);
    try {
      const challenge = await post("/api/passkeys/sign-in/options", {});
      if (!challenge.ok) return setError(challenge.data.error ?? "Passkey sign-in is not available.");
      const { startAuthentication } = await import("@simplewebauthn/browser");
      const response = await startAuthentication({ optionsJSON: challenge.data.options as Parameters<typeof startAuthentication>[0]["optionsJSON"] });
      const result = await post("/api/passkeys/sign-in", { response });
      if (!result.ok) return setError(result.data.error === "Passkey not recognised" ? "That passkey is not one of this site's accounts." : (result.data.error ?? "Passkey sign-in failed."));
      // A full page load: the signed-in pages are rendered anew with the session cookie.
      window.location.assign(next);
    } catch (failure) {
      setError(describePasskeyError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="passkey-sign-in">
      <button type="button" className="secondary" onClick={signIn} disabled={!ready || busy}>
        Sign in with a passkey
      </button>
      {/* Shown until the page's JavaScript runs: without it, that is for good. */}
      {!ready && <p>Signing in with a passkey needs JavaScript.</p>}
      {error && (
        <p className="error" role="alert" data-testid="passkey-error">
          {error}
        </p>
      )}
    </div>
  );
}
