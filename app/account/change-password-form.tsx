"use client";
import { useActionState } from "react";
import { PasswordField } from "@/app/ui/password-field";
import { changePasswordAction, type ChangePasswordState } from "./actions";

type Props = { username: string; minPasswordLength: number };

export function ChangePasswordForm({ username, minPasswordLength }: Props) {
  const [state, formAction, pending] = useActionState<ChangePasswordState, FormData>(changePasswordAction, {});
  const errors = state.errors ?? {};
  return (
    <form action={formAction} noValidate aria-labelledby="change-password-heading">
      {/* Tells password managers which account the new password belongs to. */}
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <PasswordField
        id="current-password"
        label="Current password"
        name="current"
        autoComplete="current-password"
        required
        error={errors.current}
      />
      <PasswordField
        id="new-password"
        label="New password"
        name="password"
        autoComplete="new-password"
        required
        hint={`At least ${minPasswordLength} characters.`}
        error={errors.password}
      />
      <PasswordField
        id="confirm-new-password"
        label="Confirm new password"
        name="confirm"
        autoComplete="new-password"
        required
        error={errors.confirm}
      />
      {state.message && (
        <p className={state.done ? "success" : "error"} role={state.done ? "status" : "alert"} data-testid="change-password-message">
          {state.message}
        </p>
      )}
      <button type="submit" disabled={pending}>
        Change password
      </button>
    </form>
  );
}
