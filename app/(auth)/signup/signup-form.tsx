"use client";
import { useActionState } from "react";
import { PasswordField } from "@/app/ui/password-field";
import { UsernameField } from "@/app/ui/username-field";
import { signupAction, type SignupState } from "../actions";

export function SignupForm({ minPasswordLength }: { minPasswordLength: number }) {
  const [state, formAction, pending] = useActionState<SignupState, FormData>(signupAction, {});
  const errors = state.errors ?? {};
  return (
    // noValidate: the server's messages, next to each field, are the ones that count.
    <form action={formAction} noValidate>
      <UsernameField
        id="signup-username"
        kept={state.username}
        error={errors.username}
        hint="3–32 letters, digits, dots, dashes or underscores."
      />
      <PasswordField
        id="signup-password"
        label="Password"
        name="password"
        autoComplete="new-password"
        required
        hint={`At least ${minPasswordLength} characters. Long passphrases are welcome.`}
        error={errors.password}
      />
      <PasswordField
        id="signup-confirm"
        label="Confirm password"
        name="confirm"
        autoComplete="new-password"
        required
        error={errors.confirm}
      />
      {state.message && (
        <p className="error" role="alert" data-testid="signup-message">
          {state.message}
        </p>
      )}
      <button type="submit" disabled={pending}>
        Create account
      </button>
    </form>
  );
}
