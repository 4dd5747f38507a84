// Input shapes shared by the server actions, the JSON API and the CLI.
import { z } from "zod";
import { MAX_PASSWORD_BYTES, isPasswordTooLong } from "./password";
import { checkPasswordPolicy } from "./password-policy";

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Usernames are stored normalised: Unicode NFKC, trimmed, lower-case. That makes
 * "Alice", " alice" and "ａｌｉｃｅ" one account, and uniqueness case-insensitive.
 * NFKC runs again after lower-casing, which can leave a pair NFKC composes
 * ("H\u0331" lower-cases to "h\u0331", which is "ẖ"): normalising twice must
 * change nothing.
 */
export function normalizeUsername(raw: string): string {
  return raw.normalize("NFKC").trim().toLowerCase().normalize("NFKC");
}

/** Returns a one-sentence reason, or null when the (normalised) username is acceptable. */
export function checkUsername(username: string): string | null {
  if (username.length < USERNAME_MIN_LENGTH || username.length > USERNAME_MAX_LENGTH) {
    return `Username must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters.`;
  }
  if (!USERNAME_PATTERN.test(username)) {
    return "Username may contain only letters, digits, dots, dashes and underscores, and must start with a letter or digit.";
  }
  return null;
}

/**
 * Sign-in input. Deliberately loose about the username's format: an unknown or
 * malformed name is just a failed sign-in, indistinguishable from a wrong password.
 * A NUL character is refused: PostgreSQL's text cannot hold one, so such a name
 * could not even be looked up (and no username has one).
 */
export const credentialsSchema = z.object(
  {
  username: z
    .string({ error: (issue) => (issue.input === undefined ? "username is required." : "username must be a string.") })
    .max(256, "username is too long.")
    .transform(normalizeUsername)
    .refine((value) => value !== "", "Enter your username.")
    .refine((value) => !value.includes("\u0000"), "username must not contain a NUL character."),
  password: z
    .string({ error: (issue) => (issue.input === undefined ? "password is required." : "password must be a string.") })
    .min(1, "Enter your password.")
    .refine((value) => !isPasswordTooLong(value), `Password must be at most ${MAX_PASSWORD_BYTES} bytes.`),
  // The second factor, for accounts with it on (the JSON API sends it with the password).
  code: z.string({ error: "code must be a string." }).max(64, "code is too long.").optional(),
  },
  { error: "Expected an object with username and password." },
);

export type Credentials = z.infer<typeof credentialsSchema>;

/** The first problem zod found, as one short sentence for a person or an API client. */
export function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "Invalid input.";
}

/** Form fields arrive as strings or not at all; anything else is treated as empty. */
export function formString(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

export type FieldErrors<Field extends string> = Partial<Record<Field, string>>;

/** A new account: the username rules, the password policy, and a matching confirmation. */
export async function checkSignup(input: {
  username: string;
  password: string;
  confirm: string;
}): Promise<{ ok: true; username: string } | { ok: false; errors: FieldErrors<"username" | "password" | "confirm"> }> {
  const username = normalizeUsername(input.username.slice(0, 256));
  const errors: FieldErrors<"username" | "password" | "confirm"> = {};
  const usernameProblem = checkUsername(username);
  if (usernameProblem) errors.username = usernameProblem;
  const passwordProblem = await checkPasswordPolicy(input.password, usernameProblem ? "" : username);
  if (passwordProblem) errors.password = passwordProblem;
  else if (input.password !== input.confirm) errors.confirm = "The passwords do not match.";
  return Object.keys(errors).length === 0 ? { ok: true, username } : { ok: false, errors };
}

/** A password change: the current password given, the policy, and a matching confirmation. */
export async function checkPasswordChange(
  input: { current: string; password: string; confirm: string },
  username: string,
): Promise<FieldErrors<"current" | "password" | "confirm"> | null> {
  const errors: FieldErrors<"current" | "password" | "confirm"> = {};
  if (input.current === "") errors.current = "Enter your current password.";
  const passwordProblem = await checkPasswordPolicy(input.password, username);
  if (passwordProblem) errors.password = passwordProblem;
  else if (input.password !== input.confirm) errors.confirm = "The passwords do not match.";
  else if (input.password === input.current) errors.password = "The new password must differ from the current one.";
  return Object.keys(errors).length === 0 ? null : errors;
}
