import "server-only";
import { db } from "./db";
import { Prisma } from "./generated/prisma/client";
import { hashPassword } from "./password";

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
  try {
    return await db.user.create({ data: { username, passwordHash }, select: publicFields });
  } catch (error) {
    // The unique index decides races: of two simultaneous creations one wins.
    if (isUniqueViolation(error)) throw new UsernameTakenError();
    throw error;
  }
}

/** Sets a new hash. Callers decide which sessions end with the old password (lib/account.ts, the CLI). */
export async function setPassword(username: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  const { count } = await db.user.updateMany({ where: { username }, data: { passwordHash } });
  if (count === 0) throw new UserNotFoundError(username);
}

/** Deleting the row deletes the user's sessions with it (ON DELETE CASCADE): signed out everywhere at once. */
export async function removeUser(username: string): Promise<void> {
  const { count } = await db.user.deleteMany({ where: { username } });
  if (count === 0) throw new UserNotFoundError(username);
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}
