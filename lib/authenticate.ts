import "server-only";
import { verifyAgainstDummyHash, verifyPassword } from "./password";
import { findUserWithHash, type PublicUser } from "./users";
import type { Credentials } from "./validation";

/**
 * The one implementation of "are these credentials right?", used by the sign-in
 * form and the JSON API alike. An unknown user costs the same bcrypt compare as
 * a known one, so response time does not reveal which usernames exist.
 */
export async function authenticate({ username, password }: Credentials): Promise<PublicUser | null> {
  const user = await findUserWithHash(username);
  if (!user) return verifyAgainstDummyHash(password).then(() => null);
  const valid = await verifyPassword(password, user.passwordHash);
  return valid ? { id: user.id, username: user.username } : null;
}
