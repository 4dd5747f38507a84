import "server-only";
import { db, isUniqueViolation, transaction } from "./client";
import { insertEvent, type EventRow } from "./audit";
import { insertSession, revokeUserSessions, type SessionRow } from "./sessions";

export type PublicUser = { id: number; username: string };

const publicFields = { id: true, username: true } as const;

export class UsernameTakenError extends Error {
  override name = "UsernameTakenError";
  constructor() {
    super("That username is taken.");
  }
}

export class UserNotFoundError extends Error {
  override name = "UserNotFoundError";
  constructor(username: string) {
    super(`No user named "${username}".`);
  }
}

export async function findUserByUsername(username: string): Promise<PublicUser | null> {
  return db.user.findUnique({ where: { username }, select: publicFields });
}

/**
 * For checking a password only: the one place the hash leaves the database,
 * with whether a second factor must follow (set in the same read).
 */
export async function findUserWithHash(username: string): Promise<(PublicUser & { passwordHash: string; totpEnabledAt: Date | null }) | null> {
  return db.user.findUnique({ where: { username }, select: { ...publicFields, passwordHash: true, totpEnabledAt: true } });
}

export async function listUsers(): Promise<Array<PublicUser & { createdAt: Date }>> {
  return db.user.findMany({ select: { ...publicFields, createdAt: true }, orderBy: { username: "asc" } });
}

/** The unique index decides races: of two simultaneous creations one wins, the other is told the name is taken. */
export async function insertUser(username: string, passwordHash: string): Promise<PublicUser> {
  try {
    return await db.user.create({ data: { username, passwordHash }, select: publicFields });
  } catch (error) {
    throw isUniqueViolation(error) ? new UsernameTakenError() : error;
  }
}

/**
 * A new account and its first session, with their audit rows, in one
 * transaction: as separate writes, a failure between them left an account whose
 * sign-up had answered "Service unavailable", and trying again said the name was taken.
 */
export async function insertUserWithSession(
  username: string,
  passwordHash: string,
  session: Omit<SessionRow, "userId">,
  events: Array<Omit<EventRow, "userId">>,
): Promise<PublicUser> {
  try {
    return await transaction(async (tx) => {
      const user = await tx.user.create({ data: { username, passwordHash }, select: publicFields });
      await insertSession({ ...session, userId: user.id }, tx);
      for (const event of events) await insertEvent({ ...event, userId: user.id }, tx);
      return user;
    });
  } catch (error) {
    throw isUniqueViolation(error) ? new UsernameTakenError() : error;
  }
}

/**
 * A new password hash, and the user's sessions ended (all, or all but
 * `keepSessionId`), in one transaction: as two writes, a failure between them
 * could leave the new password in force while a thief's session lived on.
 * Returns how many sessions ended.
 */
export async function setPasswordHashAndSignOut(
  username: string,
  passwordHash: string,
  keepSessionId: string | undefined,
  now: Date,
): Promise<number> {
  return transaction(async (tx) => {
    const updated = await tx.user.updateManyAndReturn({ where: { username }, data: { passwordHash }, select: { id: true } });
    const user = updated[0];
    if (!user) throw new UserNotFoundError(username);
    return revokeUserSessions(user.id, keepSessionId, now, tx);
  });
}

/** Only while the hash is still `oldHash`: a password changed in the meantime stays changed. */
/** Replaces the hash if it is still `oldHash`; false when it changed meanwhile. */
export async function replacePasswordHash(userId: number, oldHash: string, newHash: string): Promise<boolean> {
  const { count } = await db.user.updateMany({ where: { id: userId, passwordHash: oldHash }, data: { passwordHash: newHash } });
  return count === 1;
}

/** The password hash and whether two-factor authentication is on, by user id: what a pending sign-in is checked against. */
export async function findSignInState(userId: number): Promise<{ passwordHash: string; totpEnabledAt: Date | null } | null> {
  return db.user.findUnique({ where: { id: userId }, select: { passwordHash: true, totpEnabledAt: true } });
}

/** Deleting the row deletes the user's sessions with it (ON DELETE CASCADE): signed out everywhere at once. */
export async function deleteUser(username: string): Promise<void> {
  const { count } = await db.user.deleteMany({ where: { username } });
  if (count === 0) throw new UserNotFoundError(username);
}
