// The refusals the sign-in, sign-up and account forms and the JSON API turn
// into a message for the user, in one place for them to import.
import { TotpKeyError } from "./totp-secret";
import { ThrottledError } from "./throttle";

export { UsernameTakenError, UserNotFoundError } from "../db/users";
export { HashingBusyError } from "./password-workers";
export { ThrottledError, TotpKeyError };

/**
 * What to tell the user when checking a code failed for a reason of its own:
 * throttled, or this server cannot read authenticator secrets (a missing
 * TOTP_ENCRYPTION_KEY: logged for the operator, never shown). Null for
 * anything else, which the caller rethrows.
 */
export function secondFactorRefusal(error: unknown): string | null {
  if (error instanceof ThrottledError) return error.message;
  if (error instanceof TotpKeyError) {
    console.error(error.message);
    return "Two-factor authentication cannot be checked on this server right now. Try again later.";
  }
  return null;
}
