import { FieldError } from "./field-error";

type Props = { id: string; recovery?: boolean; error?: string | undefined };

/**
 * The field for a second factor: a 6-digit code from the authenticator app
 * ("Authentication code": numeric keyboard, and one-time-code so phones offer
 * a code they received), or a recovery code.
 */
export function CodeField({ id, recovery = false, error }: Props) {
  const input = recovery
    ? { autoComplete: "off", autoCapitalize: "none", spellCheck: false }
    : { autoComplete: "one-time-code", inputMode: "numeric" as const };
  return (
    <div className="field">
      <label htmlFor={id}>{recovery ? "Recovery code" : "Authentication code"}</label>
      <input
        {...input}
        id={id}
        name="code"
        type="text"
        required
        maxLength={64}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint ${id}-error`}
      />
      <small id={`${id}-hint`}>
        {recovery ? "One of the recovery codes you saved, like 7KX2M-9QZ4D. Each works once." : "The 6-digit code your authenticator app shows."}
      </small>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
