import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { db } from "./db";
import { getSessionConfig, type SessionConfig } from "./env";
import type { Client } from "./request-context";
import type { PublicUser } from "./users";

// Server-side session records behind the sealed cookie (OWASP ASVS 5 V7): the
// cookie carries a random token, the database row decides whether it still
// counts. That is what makes sign-out, "sign out everywhere" and idle and
// absolute timeouts real: a copied cookie dies with its row.

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

export type SessionRecord = {
  id: string;
  userId: number;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  persistent: boolean;
  revokedAt: Date | null;
};

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

export async function createSession(
  token: string,
  user: PublicUser,
  options: { persistent: boolean; client: Client },
  now: Date = new Date(),
): Promise<SessionRecord> {
  const { lifetimeSeconds } = options.persistent ? getSessionConfig().persistent : getSessionConfig().browser;
  return db.session.create({
    data: {
      id: sessionIdFromToken(token),
      userId: user.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
      persistent: options.persistent,
      ip: options.client.ip,
      userAgent: options.client.userAgent,
    },
  });
}

export type ValidatedSession = { session: SessionRecord; user: PublicUser };

/**
 * The session and its user in one query, or why it does not count. Refreshes
 * "last seen" when it is older than LAST_SEEN_RESOLUTION_MS.
 */
export async function validateSessionToken(
  token: string,
  userId: number,
  now: Date = new Date(),
): Promise<{ ok: true; value: ValidatedSession } | { ok: false; reason: SessionState | "unknown" }> {
  const row = await db.session.findUnique({
    where: { id: sessionIdFromToken(token) },
    include: { user: { select: { id: true, username: true } } },
  });
  // A token sealed for another user id is as good as unknown.
  if (!row || row.userId !== userId) return { ok: false, reason: "unknown" };
  const state = sessionState(row, now);
  if (state !== "active") return { ok: false, reason: state };
  const { user, ...session } = row;
  if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await db.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
    session.lastSeenAt = now;
  }
  return { ok: true, value: { session, user } };
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
  const { count } = await db.session.updateMany({
    where: { userId, revokedAt: null, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) },
    data: { revokedAt: now },
  });
  return count;
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
