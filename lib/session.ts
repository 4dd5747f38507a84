import "server-only";
import {
  deleteDeadSessions,
  insertSessionWithinLimit,
  listLiveSessions,
  revokeSession as revokeSessionRow,
  revokeUserSession as revokeUserSessionRow,
  revokeUserSessions as revokeUserSessionRows,
  type SessionRecord,
  type SessionRow,
} from "./db/sessions";
import { getSessionConfig } from "./config";
import type { Client } from "./request-context";
import { sessionIdFromToken, sessionState } from "./session-lookup";
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

/** The row a new session is stored as: only the token's hash, and its ends fixed now. */
export function sessionRow(token: string, userId: number, { persistent, client }: NewSession, now: Date): SessionRow {
  const { lifetimeSeconds } = getSessionConfig()[persistent ? "persistent" : "browser"];
  return {
    id: sessionIdFromToken(token),
    userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
    persistent,
    ip: client.ip,
    userAgent: client.userAgent,
  };
}

/**
 * A new session for `user`. Past MAX_SESSIONS_PER_USER, the sessions used least
 * recently are signed out, in the same transaction, and the audit log says so.
 */
export async function createSession(token: string, user: PublicUser, options: NewSession, now: Date = new Date()): Promise<SessionRecord> {
  const row = sessionRow(token, user.id, options, now);
  await insertSessionWithinLimit(row, MAX_SESSIONS_PER_USER);
  return { id: row.id, userId: row.userId, createdAt: now, lastSeenAt: now, expiresAt: row.expiresAt, persistent: row.persistent, revokedAt: null };
}

export async function revokeSession(sessionId: string, now: Date = new Date()): Promise<void> {
  await revokeSessionRow(sessionId, now);
}

/** Revokes one of the user's own sessions; false when it is not theirs or already gone. */
export async function revokeUserSession(userId: number, sessionId: string, now: Date = new Date()): Promise<boolean> {
  return revokeUserSessionRow(userId, sessionId, now);
}

/** Signs a user out everywhere, or everywhere but `exceptSessionId`. Returns how many ended. */
export async function revokeUserSessions(userId: number, exceptSessionId?: string, now: Date = new Date()): Promise<number> {
  return revokeUserSessionRows(userId, exceptSessionId, now);
}

/** The user's sessions that still count, newest activity first. */
export async function listActiveSessions(userId: number, now: Date = new Date()) {
  const rows = await listLiveSessions(userId, now);
  return rows.filter((row) => sessionState(row, now) === "active");
}

/** Deletes rows that can never count again. */
export async function pruneSessions(now: Date = new Date()): Promise<number> {
  return deleteDeadSessions(now);
}
