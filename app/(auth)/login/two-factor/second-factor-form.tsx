"use client";
import Link from "next/link";
import { useActionState } from "react";
import { CodeField } from "@/app/ui/code-field";
import { secondFactorAction, type SecondFactorState } from "../../actions";

type Props = { next: string; recovery: boolean; signInAgain: string };

export function SecondFactorForm({ next, recovery, signInAgain }: Props) {
  const [state, formAction, pending] = useActionState<SecondFactorState, FormData>(secondFactorAction, {});
  return (
    // Works without JavaScript too: the server action is a plain form POST then.
    <form action={formAction} noValidate>
      <input type="hidden" name="next" value={next} />
      <CodeField id="second-factor-code" recovery={recovery} error={state.error} />
      {state.expired && (
        <p>
          <Link href={signInAgain}>Sign in again</Link>
        </p>
      )}
      <button type="submit" disabled={pending}>
        Verify
      </button>
    </form>
  );
}
