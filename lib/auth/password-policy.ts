// The rules for a new password, after NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5
// V6.2: long enough, within bcrypt's limit, no composition rules, not one of the
// most common passwords, not built on the username, and not easy to guess
// (password-strength.ts). One policy for sign-up, password change and the CLI.
import { readFileSync } from "node:fs";
import path from "node:path";
import { getMinPasswordLength } from "../config";
import { isPasswordTooLong, MAX_PASSWORD_BYTES } from "./password";
import { checkPasswordStrength } from "./password-strength";

/**
 * A short reason the password is refused, or null when it is acceptable. The
 * cheap rules go first: the strength estimate is the costly one.
 */
export async function checkPasswordPolicy(password: string, username: string): Promise<string | null> {
  const minLength = getMinPasswordLength();
  // Count characters as a person does (code points), not UTF-16 units.
  if ([...password].length < minLength) return `Password must be at least ${minLength} characters.`;
  if (isPasswordTooLong(password)) return `Password must be at most ${MAX_PASSWORD_BYTES} bytes.`;
  if (username !== "" && password.toLowerCase().includes(username.toLowerCase())) {
    return "Password must not contain the username.";
  }
  if (isCommonPassword(password)) return "That password is too common. Choose another.";
  return checkPasswordStrength(password, username);
}

let commonPasswords: Set<string> | undefined;

/** Whether the password (in any letter case) is on the shipped list (lib/auth/data/README.md). */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    readFileSync(path.join(process.cwd(), "lib", "auth", "data", "common-passwords.txt"), "utf8").split("\n").filter(Boolean),
  );
  return commonPasswords.has(password.toLowerCase());
}
