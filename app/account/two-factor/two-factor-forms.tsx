"use client";
import { useActionState } from "react";
import { CodeField } from "@/app/ui/code-field";
import { PasswordField } from "@/app/ui/password-field";
import { beginSetupAction, confirmSetupAction, type TwoFactorFormState } from "./actions";

// The forms of /account/two-factor. Each works without JavaScript too: a
// server action is a plain form POST then, and its answer renders in the page.

function FormMessage({ state }: { state: TwoFactorFormState }) {
  if (!state.message) return null;
  return (
    <p className="error" role="alert">
      {state.message}
    </p>
  );
}

export function BeginSetupForm() {
  const [state, formAction, pending] = useActionState<TwoFactorFormState, FormData>(beginSetupAction, {});
  return (
    <form action={formAction}>
      <FormMessage state={state} />
      <button type="submit" disabled={pending}>
        Set up two-factor authentication
      </button>
    </form>
  );
}

/** The code that turns it on while `open` (set-up begun); then, once, the recovery codes. */
export function ConfirmSetupForm({ open }: { open: boolean }) {
  const [state, formAction, pending] = useActionState<TwoFactorFormState, FormData>(confirmSetupAction, {});
  if (state.recoveryCodes) return <RecoveryCodes codes={state.recoveryCodes} heading="Two-factor authentication is on" />;
  if (!open) return null;
  return (
    <form action={formAction} noValidate>
      <CodeField id="setup-code" error={state.errors?.code} />
      <FormMessage state={state} />
      <button type="submit" disabled={pending}>
        Turn on
      </button>
    </form>
  );
}

type PasswordAndCodeProps = {
  id: string;
  action: (previous: TwoFactorFormState, formData: FormData) => Promise<TwoFactorFormState>;
  submit: string;
  username: string;
};

/** Turning off and new recovery codes ask for the password and a current code (app or recovery), whatever the session's age. */
export function PasswordAndCodeForm({ id, action, submit, username }: PasswordAndCodeProps) {
  const [state, formAction, pending] = useActionState<TwoFactorFormState, FormData>(action, {});
  if (state.recoveryCodes) return <RecoveryCodes codes={state.recoveryCodes} heading="New recovery codes" />;
  return (
    <form action={formAction} noValidate aria-label={submit}>
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <PasswordField id={`${id}-password`} label="Password" name="password" autoComplete="current-password" required error={state.errors?.password} />
      <CodeField id={`${id}-code`} error={state.errors?.code} />
      <FormMessage state={state} />
      <button type="submit" disabled={pending}>
        {submit}
      </button>
    </form>
  );
}

/** Recovery codes, shown this once: to copy, print or download. Only their hashes are kept. */
function RecoveryCodes({ codes, heading }: { codes: string[]; heading: string }) {
  const text = `Keycard recovery codes. Each works once, in place of a code from your authenticator app.\n\n${codes.join("\n")}\n`;
  return (
    <div role="status" className="recovery-codes">
      <h3>{heading}</h3>
      <p>
        Save these recovery codes somewhere safe, such as a password manager. Each works once, in place of a code from your
        app, if you lose it. <strong>They will not be shown again.</strong>
      </p>
      <ol data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p>
        <a href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} download="keycard-recovery-codes.txt">
          Download the codes
        </a>{" "}
        {/* A full page load, not a client-side one: it must drop the codes this component holds. */}·{" "}
        <a href="/account/two-factor">I have saved them</a>
      </p>
    </div>
  );
}
