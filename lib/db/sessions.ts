import "server-only";
import { insertEvent } from "./audit";
import { readNotingAvailability } from "./availability";
import { db, readPrepared, transactionHolding, type Tx } from "./client";

/** A session as stored: the id is the SHA-256 of the token in the cookie. */
export type SessionRecord = {
  id: string;
  userId: number;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  persistent: boolean;
  revokedAt: Date | null;
  /** When the user last proved who they are in this session (sign-in or "Confirm it's you"). */
  authenticatedAt: Date;
};

export type SessionRow = Omit<SessionRecord, "revokedAt"> & { ip: string; userAgent: string | null };

export type SessionWithUser = SessionRecord & { username: string };

export async function insertSession(row: SessionRow, tx: Tx = db): Promise<void> {
  await tx.session.create({ data: row });
}

/**
 * A new session, and, past `maxPerUser` sessions still counting, the ones used
 * least recently signed out with an audit row saying so, in one transaction
 * holding the user's sessions (two sign-ins at once count each other).
 */
export async function insertSessionWithinLimit(row: SessionRow, maxPerUser: number): Promise<number> {
  return transactionHolding([`sessions:${row.userId}`], async (tx) => {
    await insertSession(row, tx);
    const beyond = await tx.session.findMany({
      where: { userId: row.userId, revokedAt: null, expiresAt: { gt: row.createdAt } },
      orderBy: [{ lastSeenAt: "desc" }, { createdAt: "desc" }],
      skip: maxPerUser,
      select: { id: true },
    });
    if (beyond.length === 0) return 0;
    await tx.session.updateMany({ where: { id: { in: beyond.map(({ id }) => id) } }, data: { revokedAt: row.createdAt } });
    await insertEvent(
      { type: "session_evicted", userId: row.userId, ip: row.ip, userAgent: row.userAgent, detail: `${beyond.length} session(s)` },
      tx,
    );
    return beyond.length;
  });
}

/**
 * The session and its user's name, by session id: the one query of every
 * signed-in request. It skips Prisma, on the same connection or pool: through
 * Prisma (findUnique with the relation, or this SQL in $queryRaw) a signed-in
 * page cost about 10% more server CPU on SQLite than this prepared statement
 * (docs/performance.md). Plain SQL with quoted names, which both databases read.
 */
export async function findSessionWithUser(id: string): Promise<SessionWithUser | null> {
  const rows = await readNotingAvailability(() => readPrepared(FIND_SESSION_WITH_USER, [id]));
  const row = rows[0] as StoredSessionWithUser | undefined;
  if (!row) return null;
  return {
    ...row,
    createdAt: new Date(row.createdAt),
    lastSeenAt: new Date(row.lastSeenAt),
    expiresAt: new Date(row.expiresAt),
    persistent: Boolean(row.persistent),
    revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt),
    authenticatedAt: new Date(row.authenticatedAt),
  };
}

const FIND_SESSION_WITH_USER = {
  name: "keycard_find_session_with_user",
  sql: `
  SELECT s."id", s."userId", s."createdAt", s."lastSeenAt", s."expiresAt", s."persistent", s."revokedAt", s."authenticatedAt", u."username"
  FROM "Session" s JOIN "User" u ON u."id" = s."userId"
  WHERE s."id" = ?`,
};

/** SQLite gives dates as the ISO 8601 text Prisma wrote and booleans as 0 or 1; PostgreSQL gives Date and boolean. */
type StoredSessionWithUser = Omit<SessionWithUser, "createdAt" | "lastSeenAt" | "expiresAt" | "persistent" | "revokedAt" | "authenticatedAt"> & {
  createdAt: string | Date;
  lastSeenAt: string | Date;
  expiresAt: string | Date;
  persistent: number | boolean;
  revokedAt: string | Date | null;
  authenticatedAt: string | Date;
};

/** Records activity; a revoked session stays as it was. */
export async function touchSession(id: string, now: Date): Promise<void> {
  await db.session.updateMany({ where: { id, revokedAt: null }, data: { lastSeenAt: now } });
}

/** The user proved who they are again in this session ("Confirm it's you"). */
export async function markSessionAuthenticated(id: string, now: Date): Promise<void> {
  await db.session.updateMany({ where: { id, revokedAt: null }, data: { authenticatedAt: now } });
}

export async function revokeSession(id: string, now: Date = new Date()): Promise<void> {
  await db.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
}

/** Revokes one of the user's own sessions; false when it is not theirs or already gone. */
export async function revokeUserSession(userId: number, id: string, now: Date = new Date()): Promise<boolean> {
  const { count } = await db.session.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: now } });
  return count > 0;
}

/** Ends the user's sessions, all of them or all but `exceptId`. Returns how many ended. */
export async function revokeUserSessions(userId: number, exceptId?: string, now: Date = new Date(), tx: Tx = db): Promise<number> {
  const { count } = await tx.session.updateMany({
    where: { userId, revokedAt: null, ...(exceptId === undefined ? {} : { id: { not: exceptId } }) },
    data: { revokedAt: now },
  });
  return count;
}

/** The user's sessions not revoked and not past their absolute end, newest activity first. */
export async function listLiveSessions(userId: number, now: Date) {
  return db.session.findMany({
    where: { userId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, createdAt: true, lastSeenAt: true, expiresAt: true, persistent: true, ip: true, userAgent: true, revokedAt: true },
  });
}

/** Deletes sessions past their end, and revoked ones a day after (kept that long for the audit trail). */
export async function deleteDeadSessions(now: Date = new Date()): Promise<number> {
  const { count } = await db.session.deleteMany({
    where: { OR: [{ expiresAt: { lt: now } }, { revokedAt: { lt: new Date(now.getTime() - 24 * 60 * 60 * 1000) } }] },
  });
  return count;
}
