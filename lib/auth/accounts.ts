import "server-only";
import { eventRow } from "../audit";
import {
  deleteUser,
  findUserByUsername,
  findUserWithHash,
  insertUser,
  insertUserWithSession,
  listUsers,
  replacePasswordHash,
  setPasswordHashAndSignOut,
  UsernameTakenError,
  UserNotFoundError,
  type PublicUser,
} from "../db/users";
import { hashPassword } from "./password";
import { sessionRow, type NewSession } from "../session/store";

export { findUserByUsername, findUserWithHash, listUsers, UsernameTakenError, UserNotFoundError, type PublicUser };

/** `username` must already be normalised and checked (lib/auth/validation.ts), `password` checked against the policy. */
export async function createUser(username: string, password: string): Promise<PublicUser> {
  return insertUser(username, await hashPassword(password));
}

/**
 * A new account, signed in: the user, their first session and the audit log's
 * "sign_up" and "sign_in" rows, in one transaction (lib/db/users.ts).
 */
export async function createUserWithSession(
  username: string,
  password: string,
  token: string,
  session: NewSession,
  now: Date = new Date(),
): Promise<PublicUser> {
  const passwordHash = await hashPassword(password);
  // The user id is the new row's: lib/db/users.ts fills it in.
  const row = sessionRow(token, 0, session, now);
  const events = (["sign_up", "sign_in"] as const).map((type) => eventRow({ type, client: session.client, username }, now));
  return insertUserWithSession(username, passwordHash, row, events);
}

/**
 * Sets a new password and ends the user's sessions, all of them or all but
 * `keepSessionId` (the one that made the change), in one transaction. Returns
 * how many sessions ended. Throws UserNotFoundError.
 */
export async function setPasswordAndSignOut(username: string, password: string, keepSessionId?: string, now: Date = new Date()): Promise<number> {
  return setPasswordHashAndSignOut(username, await hashPassword(password), keepSessionId, now);
}

/**
 * Replaces the hash of a password just proved right with one at today's
 * BCRYPT_COST, unless the password changed in the meantime. Returns the hash
 * now stored, or null when it changed (and is another password's).
 */
export async function upgradePasswordHash(userId: number, oldHash: string, password: string): Promise<string | null> {
  const newHash = await hashPassword(password);
  return (await replacePasswordHash(userId, oldHash, newHash)) ? newHash : null;
}

/** Deletes the user and with them their sessions: signed out everywhere at once. Throws UserNotFoundError. */
export async function removeUser(username: string): Promise<void> {
  await deleteUser(username);
}
