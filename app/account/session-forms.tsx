"use client";
// The account page's session buttons, as forms with state so that an action that
// could not run (the database is unavailable) says so next to its button. Plain
// form posts without JavaScript, as before.
import { useActionState } from "react";
import { revokeOtherSessionsAction, revokeSessionAction, type SessionFormState } from "./actions";

function FormMessage({ state }: { state: SessionFormState }) {
  if (!state.message) return null;
  return (
    <p className="error" role="alert" data-testid="session-form-message">
      {state.message}
    </p>
  );
}

export function RevokeSessionForm({ sessionId, label }: { sessionId: string; label: string }) {
  const [state, formAction, pending] = useActionState<SessionFormState, FormData>(revokeSessionAction, {});
  return (
    <form action={formAction}>
      <input type="hidden" name="sessionId" value={sessionId} />
      <button type="submit" className="secondary" disabled={pending}>
        {label}
      </button>
      <FormMessage state={state} />
    </form>
  );
}

export function RevokeOtherSessionsForm() {
  const [state, formAction, pending] = useActionState<SessionFormState>(revokeOtherSessionsAction, {});
  return (
    <form action={formAction}>
      <button type="submit" disabled={pending}>
        Sign out everywhere else
      </button>
      <FormMessage state={state} />
    </form>
  );
}
