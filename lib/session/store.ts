// Server-side sessions behind the sealed cookie (OWASP ASVS 5 V7): the cookie
// carries a random token, the database row decides whether it still counts.
// That is what makes sign-out, "sign out everywhere" and idle and absolute
// timeouts real: a copied cookie dies with its row.
import "server-only";
import { createHash, randomBytes } from "node:crypto";
import type { UnsealErrorReason } from "iron-session";
import { getSessionConfig, type SessionConfig } from "../config";
import {
  findSessionWithUser,
  insertSessionWithinLimit,
  listLiveSessions,
  touchSession,
  type SessionRecord,
  type SessionRow,
} from "../db/sessions";
import type { PublicUser } from "../db/users";
import { isDatabaseUnavailable, logDatabaseUnavailable } from "../db/errors";
import type { Client } from "../http/client-address";
import { openSeal } from "./seal";

/** "Last seen" is written at most this often per session, not on every request. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/** 128 random bits (OWASP's minimum for session ids), base64url: the value sealed into the cookie. */
export function generateSessionToken(): string {
  return randomBytes(16).toString("base64url");
}

/** Only this hash is stored, so a leaked database holds no usable tokens. */
export function sessionIdFromToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Whether `value` has the shape of a session id: what sessionIdFromToken makes, 64 hex digits. */
export function isSessionId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

export type { SessionRecord };

export type SessionState = "active" | "revoked" | "expired" | "idle";

/** Whether a session row still counts at `now`. Pure, so the clock can be chosen in tests. */
export function sessionState(
  session: Pick<SessionRecord, "lastSeenAt" | "expiresAt" | "persistent" | "revokedAt">,
  now: Date,
  config: Pick<SessionConfig, "persistent" | "browser"> = getSessionConfig(),
): SessionState {
  if (session.revokedAt) return "revoked";
  if (now >= session.expiresAt) return "expired";
  const { idleSeconds } = session.persistent ? config.persistent : config.browser;
  if (now.getTime() - session.lastSeenAt.getTime() >= idleSeconds * 1000) return "idle";
  return "active";
}

type SessionUser = { id: number; username: string };
export type ValidatedSession = { session: SessionRecord; user: SessionUser };
export type SessionCheck = { ok: true; value: ValidatedSession } | { ok: false; reason: Exclude<SessionState, "active"> | "unknown" };

/**
 * The session and its user, or why it does not count. Refreshes "last seen"
 * when it is older than LAST_SEEN_RESOLUTION_MS. Throws when the database
 * cannot be read (the caller answers 503).
 */
export async function validateSessionToken(token: string, userId: number, now: Date = new Date()): Promise<SessionCheck> {
  const row = await findSessionWithUser(sessionIdFromToken(token));
  // A token sealed for another user id is as good as unknown.
  if (!row || row.userId !== userId) return { ok: false, reason: "unknown" };
  const { username, ...session } = row;
  const state = sessionState(session, now);
  if (state !== "active") return { ok: false, reason: state };
  if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) await noteActivity(session, now);
  return { ok: true, value: { session, user: { id: row.userId, username } } };
}

/**
 * Best effort: a database that can be read but not written (read-only, or
 * another process holding the write lock) still serves signed-in pages; "last
 * seen" then lags until a later request can write it.
 */
async function noteActivity(session: SessionRecord, now: Date): Promise<void> {
  try {
    await touchSession(session.id, now);
    session.lastSeenAt = now;
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    logDatabaseUnavailable(error, "last-seen update");
  }
}

/**
 * What a request's session cookie is worth: the session and user, or nothing.
 * `rejected` names what deserves a line in the audit log: a seal that failed
 * ("invalid": tampering or garbage; "unknown-password": a secret removed too
 * early) or a token that came back after its session was revoked or deleted.
 * Cookies that simply ended (expired seal, idle or expired session) and
 * requests without a cookie are not worth noting.
 */
export type CookieCheck =
  | { ok: true; value: ValidatedSession }
  | { ok: false; rejected: Exclude<UnsealErrorReason, "expired"> | "revoked" | "unknown" | null; claimedUserId: number | null };

const NO_SESSION: CookieCheck = { ok: false, rejected: null, claimedUserId: null };

/** Opens the cookie's seal and checks its token against the database. */
export async function checkSessionSeal(seal: string | undefined, now: Date = new Date()): Promise<CookieCheck> {
  if (!seal) return NO_SESSION;
  const opened = await openSeal(seal, now.getTime());
  if (!opened.ok) {
    return opened.reason && opened.reason !== "expired" ? { ok: false, rejected: opened.reason, claimedUserId: null } : NO_SESSION;
  }
  const { data } = opened;
  const result = await validateSessionToken(data.sid, data.uid, now);
  if (result.ok) return result;
  if (result.reason === "revoked" || result.reason === "unknown") {
    return { ok: false, rejected: result.reason, claimedUserId: data.uid };
  }
  return NO_SESSION;
}

/**
 * How recently the user must have proved who they are in this session (signed
 * in, or confirmed it's them: lib/auth/confirm-identity.ts) for a sensitive action.
 */
export const RECENT_SIGN_IN_SECONDS = 10 * 60;

export function isRecentSignIn(session: Pick<SessionRecord, "authenticatedAt">, now: Date = new Date()): boolean {
  return now.getTime() - session.authenticatedAt.getTime() < RECENT_SIGN_IN_SECONDS * 1000;
}

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
    authenticatedAt: now,
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
  const { id, userId, createdAt, lastSeenAt, authenticatedAt, expiresAt, persistent } = row;
  return { id, userId, createdAt, lastSeenAt, authenticatedAt, expiresAt, persistent, revokedAt: null };
}

// Ending sessions needs nothing beyond the rows themselves.
export { revokeSession, revokeUserSession, revokeUserSessions } from "../db/sessions";

/** The user's sessions that still count, newest activity first. */
export async function listActiveSessions(userId: number, now: Date = new Date()) {
  const rows = await listLiveSessions(userId, now);
  return rows.filter((row) => sessionState(row, now) === "active");
}

/** Deletes rows that can never count again. */
export { deleteDeadSessions as pruneSessions } from "../db/sessions";
