import { useState } from "react";
import { useHydrated } from "./use-hydrated";

/** What to tell the user when the browser's passkey prompt fails (names from the WebAuthn spec). */
function describePasskeyError(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "NotAllowedError") return "The passkey prompt was closed or timed out.";
  if (name === "InvalidStateError") return "This device already has a passkey for this account.";
  if (name === "SecurityError") return "Passkeys do not work on this address of the site.";
  return "Something went wrong with the passkey. Try again.";
}

/**
 * The state of a passkey ceremony (adding one, signing in with one) for a
 * button: `ready` once JavaScript runs (WebAuthn needs it), `busy` while one
 * runs, and its `error`. `run(work)` runs one: `work` answers a message to
 * show, or nothing; a failure of the browser's prompt becomes a message too.
 */
export function usePasskeyCeremony() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = useHydrated();

  async function run(work: () => Promise<string | void>): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const problem = await work();
      if (problem) setError(problem);
    } catch (failure) {
      setError(describePasskeyError(failure));
    } finally {
      setBusy(false);
    }
  }

  return { error, setError, busy, ready, run };
}
