import "server-only";
import { insertEventNow } from "./audit";
import { db } from "./db";
import { getSessionConfig } from "./env";
import type { Client } from "./request-context";
import { sessionIdFromToken, sessionState, type SessionRecord } from "./session-lookup";
import { sqlite, statement, toStoredDate, writeWhenUnlocked } from "./sqlite";
import type { PublicUser } from "./users";

// Server-side session records behind the sealed cookie (OWASP ASVS 5 V7): the
// cookie carries a random token, the database row decides whether it still
// counts. That is what makes sign-out, "sign out everywhere" and idle and
// absolute timeouts real: a copied cookie dies with its row.

export type NewSession = { persistent: boolean; client: Client };

/**
 * The most sessions one user holds at once (OWASP ASVS 5 V7.1.2 asks for a
 * stated limit): far above the devices a person uses, low enough that signing
 * in again and again cannot pile up rows without end.
 */
export const MAX_SESSIONS_PER_USER = 50;

/**
 * A new session for `user`. Past MAX_SESSIONS_PER_USER, the sessions used least
 * recently are signed out, in the same transaction, and the audit log says so.
 */
export async function createSession(token: string, user: PublicUser, options: NewSession, now: Date = new Date()): Promise<SessionRecord> {
  return writeWhenUnlocked(() =>
    sqlite()
      .transaction((): SessionRecord => {
        const session = insertSessionNow(token, user.id, options, now);
        const evicted = statement(
          'UPDATE "Session" SET "revokedAt" = ? WHERE "id" IN (SELECT "id" FROM "Session" WHERE "userId" = ? AND "revokedAt" IS NULL ' +
            'AND julianday("expiresAt") > julianday(?) ORDER BY julianday("lastSeenAt") DESC, julianday("createdAt") DESC LIMIT -1 OFFSET ?)',
        ).run(toStoredDate(now), user.id, toStoredDate(now), MAX_SESSIONS_PER_USER).changes;
        if (evicted > 0) {
          insertEventNow({ type: "session_evicted", client: options.client, userId: user.id, detail: `${evicted} session(s)` }, now);
        }
        return session;
      })
      .immediate(),
  );
}

/**
 * The same, synchronously on the process's own connection (lib/sqlite.ts), so a
 * caller can make it part of its own transaction (lib/users.ts createUserWithSession).
 */
export function insertSessionNow(token: string, userId: number, { persistent, client }: NewSession, now: Date): SessionRecord {
  const { lifetimeSeconds } = getSessionConfig()[persistent ? "persistent" : "browser"];
  const session: SessionRecord = {
    id: sessionIdFromToken(token),
    userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
    persistent,
    revokedAt: null,
  };
  statement(
    'INSERT INTO "Session" ("id", "userId", "createdAt", "lastSeenAt", "expiresAt", "persistent", "ip", "userAgent") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(session.id, userId, toStoredDate(now), toStoredDate(now), toStoredDate(session.expiresAt), persistent ? 1 : 0, client.ip, client.userAgent);
  return session;
}

export async function revokeSession(sessionId: string, now: Date = new Date()): Promise<void> {
  await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
}

/** Revokes one of the user's own sessions; false when it is not theirs or already gone. */
export async function revokeUserSession(userId: number, sessionId: string, now: Date = new Date()): Promise<boolean> {
  const { count } = await db.session.updateMany({
    where: { id: sessionId, userId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count > 0;
}

/** Signs a user out everywhere, or everywhere but `exceptSessionId`. Returns how many ended. */
export async function revokeUserSessions(userId: number, exceptSessionId?: string, now: Date = new Date()): Promise<number> {
  return writeWhenUnlocked(() => revokeUserSessionsNow(userId, exceptSessionId, now));
}

/**
 * The same, synchronously on the process's own connection (lib/sqlite.ts), so a
 * caller can make it part of its own transaction (lib/users.ts setPasswordAndSignOut).
 */
export function revokeUserSessionsNow(userId: number, exceptSessionId: string | undefined, now: Date): number {
  return statement('UPDATE "Session" SET "revokedAt" = ? WHERE "userId" = ? AND "revokedAt" IS NULL AND "id" IS NOT ?').run(
    toStoredDate(now),
    userId,
    exceptSessionId ?? null,
  ).changes;
}

/** The user's sessions that still count, newest activity first. */
export async function listActiveSessions(userId: number, now: Date = new Date()) {
  const rows = await db.session.findMany({
    where: { userId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, createdAt: true, lastSeenAt: true, expiresAt: true, persistent: true, ip: true, userAgent: true, revokedAt: true },
  });
  return rows.filter((row) => sessionState(row, now) === "active");
}

/** Deletes rows that can never count again. */
export async function pruneSessions(now: Date = new Date()): Promise<number> {
  const { count } = await db.session.deleteMany({
    where: { OR: [{ expiresAt: { lt: now } }, { revokedAt: { lt: new Date(now.getTime() - 24 * 60 * 60 * 1000) } }] },
  });
  return count;
}
