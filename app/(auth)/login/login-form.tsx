"use client";
import { useActionState } from "react";
import { UsernameField } from "@/app/ui/username-field";
import { loginAction, type LoginState } from "../actions";

export function LoginForm({ next }: { next: string }) {
  const [state, formAction, pending] = useActionState<LoginState, FormData>(loginAction, {});
  return (
    // Works without JavaScript too: the server action is a plain form POST then.
    <form action={formAction}>
      <input type="hidden" name="next" value={next} />
      <UsernameField id="login-username" kept={state.username} />
      <div className="field">
        <label htmlFor="login-password">Password</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" required />
      </div>
      <label className="checkbox">
        <input type="checkbox" name="remember" />
        Keep me signed in
      </label>
      {state.error && (
        <p className="error" role="alert" data-testid="login-error">
          {state.error}
        </p>
      )}
      <button type="submit" disabled={pending}>
        Sign in
      </button>
    </form>
  );
}
