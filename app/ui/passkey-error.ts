/** What to tell the user when the browser's passkey prompt fails (names from the WebAuthn spec). */
export function describePasskeyError(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "NotAllowedError") return "The passkey prompt was closed or timed out.";
  if (name === "InvalidStateError") return "This device already has a passkey for this account.";
  if (name === "SecurityError") return "Passkeys do not work on this address of the site.";
  return "Something went wrong with the passkey. Try again.";
}
