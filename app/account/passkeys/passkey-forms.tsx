"use client";
import { useRouter } from "next/navigation";
import { useActionState, type FormEvent } from "react";
import { usePasskeyCeremony } from "@/app/ui/passkey-ceremony";
import { finishPasskeyRegistrationAction, removePasskeyAction, startPasskeyRegistrationAction, type RemovePasskeyState } from "./actions";

/**
 * Names a new passkey and has the browser make it. Needs JavaScript (WebAuthn
 * is a browser API), and says so without it; the WebAuthn browser code is
 * loaded only when the button is pressed.
 */
export function AddPasskeyForm({ nameMaxLength }: { nameMaxLength: number }) {
  const router = useRouter();
  const { error, setError, busy, ready, run } = usePasskeyCeremony();

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get("name") ?? "").trim();
    if (name === "") return setError('Name the passkey, e.g. "Work laptop".');
    void run(async () => {
      const start = await startPasskeyRegistrationAction();
      if ("confirmFirst" in start) return router.push(start.confirmFirst);
      if ("error" in start) return start.error;
      const { startRegistration } = await import("@simplewebauthn/browser");
      const result = await finishPasskeyRegistrationAction(name, await startRegistration({ optionsJSON: start.options }));
      if (result.confirmFirst) return router.push(result.confirmFirst);
      if (result.error) return result.error;
      form.reset();
    });
  }

  return (
    <form onSubmit={add} noValidate aria-label="Add a passkey">
      <div className="field">
        <label htmlFor="passkey-name">Passkey name</label>
        <input id="passkey-name" name="name" maxLength={nameMaxLength} required aria-describedby="passkey-name-hint passkey-error" />
        <small id="passkey-name-hint">So you can tell your passkeys apart, e.g. &quot;Work laptop&quot;.</small>
      </div>
      <p id="passkey-error" className="error" role={error ? "alert" : undefined} hidden={!error}>
        {error}
      </p>
      {/* Shown until the page's JavaScript runs: without it, that is for good. */}
      {!ready && <p>Adding a passkey needs JavaScript.</p>}
      <button type="submit" disabled={!ready || busy}>
        Add a passkey
      </button>
    </form>
  );
}

export function RemovePasskeyForm({ passkeyId, name }: { passkeyId: string; name: string }) {
  const [state, formAction, pending] = useActionState<RemovePasskeyState, FormData>(removePasskeyAction, {});
  return (
    <form action={formAction}>
      <input type="hidden" name="passkeyId" value={passkeyId} />
      <button type="submit" className="secondary" disabled={pending} aria-label={`Remove ${name}`}>
        Remove
      </button>
      {state.message && (
        <p className="error" role="alert">
          {state.message}
        </p>
      )}
    </form>
  );
}
