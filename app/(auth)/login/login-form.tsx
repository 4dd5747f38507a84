"use client";
import { useActionState } from "react";
import { loginAction, type LoginState } from "../actions";

export function LoginForm({ next }: { next: string }) {
  const [state, formAction, pending] = useActionState<LoginState, FormData>(loginAction, {});
  return (
    // Works without JavaScript too: the server action is a plain form POST then.
    <form action={formAction}>
      <input type="hidden" name="next" value={next} />
      <label>
        Username
        <input
          // Re-mount on each answer so the kept username survives React's form reset.
          key={state.username ?? ""}
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          defaultValue={state.username ?? ""}
        />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
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
