"use client";
import { useState, type ComponentProps } from "react";
import { FieldError } from "./field-error";
import { useHydrated } from "./use-hydrated";

type Props = Omit<ComponentProps<"input">, "type" | "id"> & {
  id: string;
  label: string;
  hint?: string;
  error?: string | undefined;
};

/**
 * A labelled password field with a show/hide toggle (NIST SP 800-63B-4 asks
 * that people can see what they type), an optional hint and its error. Pasting
 * is allowed. The toggle needs JavaScript: it is disabled until React runs, so
 * that a click before then is not silently lost, and without JavaScript the
 * field is a plain password input.
 */
export function PasswordField({ id, label, hint, error, ...inputProps }: Props) {
  const [visible, setVisible] = useState(false);
  const hydrated = useHydrated();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <span className="password-field">
        <input
          {...inputProps}
          id={id}
          type={visible ? "text" : "password"}
          aria-invalid={error ? true : undefined}
          aria-describedby={hint ? `${id}-hint ${id}-error` : `${id}-error`}
        />
        <button
          type="button"
          className="secondary"
          // Sits right after its field; aria-controls ties it to the field.
          aria-controls={id}
          aria-pressed={visible}
          disabled={!hydrated}
          onClick={() => setVisible((shown) => !shown)}
        >
          {visible ? "Hide" : "Show"}
        </button>
      </span>
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
