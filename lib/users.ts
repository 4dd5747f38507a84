import "server-only";
import { insertEventNow } from "./audit";
import { db } from "./db";
import { hashPassword } from "./password";
import { insertSessionNow, revokeUserSessionsNow, type NewSession } from "./session";
import { sqlite, statement, toStoredDate, writeWhenUnlocked } from "./sqlite";

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

/** For sign-in only: the one place the hash leaves the database. */
export async function findUserWithHash(username: string) {
  return db.user.findUnique({ where: { username }, select: { ...publicFields, passwordHash: true } });
}

export async function listUsers(): Promise<Array<PublicUser & { createdAt: Date }>> {
  return db.user.findMany({ select: { ...publicFields, createdAt: true }, orderBy: { username: "asc" } });
}

/** `username` must already be normalised and checked (lib/validation.ts), `password` checked against the policy. */
export async function createUser(username: string, password: string): Promise<PublicUser> {
  const passwordHash = await hashPassword(password);
  return writeWhenUnlocked(() => insertUserNow(username, passwordHash, new Date()));
}

/**
 * A new account, signed in: the user, their first session and the audit log's
 * "sign_up" and "sign_in" rows, in one transaction. As separate writes, a
 * database failure between them left an account whose sign-up had answered
 * "Service unavailable", and trying again said the name was taken. On the
 * process's own connection, as setPasswordAndSignOut below.
 */
export async function createUserWithSession(
  username: string,
  password: string,
  token: string,
  session: NewSession,
  now: Date = new Date(),
): Promise<PublicUser> {
  const passwordHash = await hashPassword(password);
  return writeWhenUnlocked(() =>
    sqlite()
      .transaction((): PublicUser => {
        const user = insertUserNow(username, passwordHash, now);
        insertSessionNow(token, user.id, session, now);
        for (const type of ["sign_up", "sign_in"] as const) {
          insertEventNow({ type, client: session.client, userId: user.id, username: user.username }, now);
        }
        return user;
      })
      .immediate(),
  );
}

/** The unique index decides races: of two simultaneous creations one wins, the other is told the name is taken. */
function insertUserNow(username: string, passwordHash: string, now: Date): PublicUser {
  try {
    return statement<[string, string, string, string], PublicUser>(
      'INSERT INTO "User" ("username", "passwordHash", "createdAt", "updatedAt") VALUES (?, ?, ?, ?) RETURNING "id", "username"',
    ).get(username, passwordHash, toStoredDate(now), toStoredDate(now))!;
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "SQLITE_CONSTRAINT_UNIQUE") throw new UsernameTakenError();
    throw error;
  }
}

/**
 * Sets a new password and ends the user's sessions, all of them or all but
 * `keepSessionId` (the one that made the change), in one transaction: as two
 * writes, a database failure between them could leave the new password in force
 * while a thief's session lived on. On the process's own connection
 * (lib/sqlite.ts), because a Prisma transaction would take in other requests'
 * queries on its shared one. Returns how many sessions ended.
 */
export async function setPasswordAndSignOut(username: string, password: string, keepSessionId?: string, now: Date = new Date()): Promise<number> {
  const passwordHash = await hashPassword(password);
  return writeWhenUnlocked(() => {
    const setHash = statement<[string, string, string], { id: number }>(
      'UPDATE "User" SET "passwordHash" = ?, "updatedAt" = ? WHERE "username" = ? RETURNING "id"',
    );
    return sqlite()
      .transaction((): number => {
        const user = setHash.get(passwordHash, toStoredDate(now), username);
        if (!user) throw new UserNotFoundError(username);
        return revokeUserSessionsNow(user.id, keepSessionId, now);
      })
      .immediate();
  });
}

/**
 * Replaces the hash of a password just proved right with one at today's
 * BCRYPT_COST. Only if the hash is still `oldHash`: a password changed in the
 * meantime stays changed.
 */
export async function upgradePasswordHash(userId: number, oldHash: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await db.user.updateMany({ where: { id: userId, passwordHash: oldHash }, data: { passwordHash } });
}

/** Deleting the row deletes the user's sessions with it (ON DELETE CASCADE): signed out everywhere at once. */
export async function removeUser(username: string): Promise<void> {
  const { count } = await db.user.deleteMany({ where: { username } });
  if (count === 0) throw new UserNotFoundError(username);
}
