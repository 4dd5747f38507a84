import { FieldError } from "./field-error";

type Props = { id: string; kept: string | undefined; error?: string | undefined; hint?: string };

/** The username input, keeping what was typed across a failed submission. */
export function UsernameField({ id, kept, error, hint }: Props) {
  return (
    <div className="field">
      <label htmlFor={id}>Username</label>
      <input
        // Re-mount on each answer so the kept username survives React's form reset.
        key={kept ?? ""}
        id={id}
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        defaultValue={kept ?? ""}
        aria-invalid={error ? true : undefined}
        aria-describedby={hint ? `${id}-hint ${id}-error` : `${id}-error`}
      />
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
