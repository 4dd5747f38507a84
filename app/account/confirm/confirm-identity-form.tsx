"use client";
import { useActionState } from "react";
import { CodeField } from "@/app/ui/code-field";
import { PasswordField } from "@/app/ui/password-field";
import { confirmIdentityAction, type ConfirmIdentityState } from "../actions";

type Props = { next: string; username: string; needsCode: boolean };

export function ConfirmIdentityForm({ next, username, needsCode }: Props) {
  const [state, formAction, pending] = useActionState<ConfirmIdentityState, FormData>(confirmIdentityAction, {});
  return (
    // Works without JavaScript too: the server action is a plain form POST then.
    <form action={formAction} noValidate>
      <input type="hidden" name="next" value={next} />
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <PasswordField id="confirm-password" label="Password" name="password" autoComplete="current-password" required error={state.errors?.password} />
      {needsCode && <CodeField id="confirm-code" error={state.errors?.code} />}
      {state.message && (
        <p className="error" role="alert">
          {state.message}
        </p>
      )}
      <button type="submit" disabled={pending}>
        Confirm
      </button>
    </form>
  );
}
