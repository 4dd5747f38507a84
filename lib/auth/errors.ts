// The refusals the sign-in, sign-up and account forms and the JSON API turn
// into a message for the user, in one place for them to import.
export { UsernameTakenError, UserNotFoundError } from "../db/users";
export { HashingBusyError } from "./password-workers";
export { ThrottledError } from "./throttle";
