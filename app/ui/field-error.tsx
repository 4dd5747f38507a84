/** A field's error, next to it and tied to it by aria-describedby. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return (
    <p id={id} className="error field-error" role={message ? "alert" : undefined} hidden={!message}>
      {message}
    </p>
  );
}
