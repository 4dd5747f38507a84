import "server-only";
import { db } from "./client";

export type PasskeyRow = {
  id: string;
  userId: number;
  name: string;
  publicKey: Uint8Array;
  counter: bigint;
  transports: string;
  createdAt: Date;
  lastUsedAt: Date | null;
};

export type PasskeySummary = Pick<PasskeyRow, "id" | "name" | "createdAt" | "lastUsedAt">;

export async function insertPasskey(row: Omit<PasskeyRow, "createdAt" | "lastUsedAt">): Promise<void> {
  await db.passkey.create({ data: { ...row, publicKey: Buffer.from(row.publicKey) } });
}

/** A passkey by its credential id, with its user's name. */
export async function findPasskey(id: string): Promise<(PasskeyRow & { username: string }) | null> {
  const row = await db.passkey.findUnique({ where: { id }, include: { user: { select: { username: true } } } });
  if (!row) return null;
  const { user, ...passkey } = row;
  return { ...passkey, username: user.username };
}

/** The user's passkeys, newest first: what the account page lists. */
export async function listPasskeys(userId: number): Promise<PasskeySummary[]> {
  return db.passkey.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, select: { id: true, name: true, createdAt: true, lastUsedAt: true } });
}

/** The credential ids a new registration must not repeat. */
export async function listPasskeyIds(userId: number): Promise<Array<{ id: string; transports: string }>> {
  return db.passkey.findMany({ where: { userId }, select: { id: true, transports: true } });
}

/**
 * Records a sign-in with the passkey: its new signature counter, if the
 * counter is still the one it was checked against (two sign-ins with one
 * assertion at once: one wins). False when it changed meanwhile.
 */
export async function recordPasskeyUse(id: string, checkedCounter: bigint, newCounter: bigint, at: Date): Promise<boolean> {
  const { count } = await db.passkey.updateMany({ where: { id, counter: checkedCounter }, data: { counter: newCounter, lastUsedAt: at } });
  return count === 1;
}

/** Removes one of the user's passkeys; false when it is not theirs or already gone. */
export async function deletePasskey(userId: number, id: string): Promise<boolean> {
  const { count } = await db.passkey.deleteMany({ where: { id, userId } });
  return count === 1;
}

export type ChallengePurpose = "registration" | "authentication";

export async function saveChallenge(challenge: string, purpose: ChallengePurpose, userId: number | null, expiresAt: Date): Promise<void> {
  await db.webAuthnChallenge.create({ data: { challenge, purpose, userId, expiresAt } });
  if (Math.random() < 0.01) await db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lte: new Date() } } });
}

/**
 * Takes a challenge given out for `purpose` (and, for a registration, to
 * `userId`), once: the delete that finds it is the one use, on any instance.
 * False for one unknown, used, expired, or another's.
 */
export async function consumeChallenge(challenge: string, purpose: ChallengePurpose, userId: number | null, now: Date): Promise<boolean> {
  const { count } = await db.webAuthnChallenge.deleteMany({ where: { challenge, purpose, userId, expiresAt: { gt: now } } });
  return count === 1;
}
