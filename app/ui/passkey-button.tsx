"use client";
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { usePasskeyCeremony } from "./passkey-ceremony";

type Props = {
  label: string;
  /** Where to go once `finish` accepts the answer (a full page load: the next pages render with the new state). */
  next: string;
  /** Checks the authenticator's answer on the server: an error to show, or none. */
  finish: (response: AuthenticationResponseJSON) => Promise<{ error?: string }>;
};

/**
 * A button that has the browser sign this site's challenge with a passkey
 * (discoverable: no username asked), then hands the answer to `finish`. The
 * WebAuthn browser code is loaded only when the button is pressed, so the
 * pages that offer it stay as light as they were. Needs JavaScript, and says
 * so without it.
 */
export function PasskeyButton({ label, next, finish }: Props) {
  const { error, busy, ready, run } = usePasskeyCeremony();

  const signIn = () =>
    run(async () => {
      const challenge = await fetch("/api/passkeys/sign-in/options", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      const body = (await challenge.json().catch(() => ({}))) as { options?: PublicKeyCredentialRequestOptionsJSON; error?: string };
      if (!challenge.ok || !body.options) return body.error ?? "Service unavailable, try again shortly.";
      const { startAuthentication } = await import("@simplewebauthn/browser");
      const result = await finish(await startAuthentication({ optionsJSON: body.options }));
      if (!result.error) window.location.assign(next);
      return result.error;
    });

  return (
    <div className="passkey-button">
      <button type="button" className="secondary" onClick={signIn} disabled={!ready || busy}>
        {label}
      </button>
      {/* Shown until the page's JavaScript runs: without it, that is for good. */}
      {!ready && <p>{label} needs JavaScript.</p>}
      {error && (
        <p className="error" role="alert" data-testid="passkey-error">
          {error}
        </p>
      )}
    </div>
  );
}
