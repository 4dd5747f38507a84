import "server-only";
import { db } from "./db";
import type { Client } from "./request-context";
import { statement, toStoredDate, writeWhenUnlocked } from "./sqlite";

// The security audit log (OWASP ASVS 5 V16). Never a password, token or cookie
// value: only what happened, to whom, from where.
export const EVENT_LABELS = {
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in",
  sign_in_throttled: "Sign-in throttled",
  sign_out: "Signed out",
  sign_up: "Account created",
  sign_up_throttled: "Sign-up throttled",
  password_changed: "Password changed",
  password_change_failed: "Wrong current password",
  session_revoked: "Session revoked",
  sessions_revoked: "Signed out everywhere else",
  session_evicted: "Least recently used session signed out (session limit)",
  cookie_rejected: "Session cookie rejected",
} as const;

export type EventType = keyof typeof EVENT_LABELS;

/** Events older than this are deleted (documented in the README). */
export const AUDIT_RETENTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

type EventInput = {
  type: EventType;
  client: Client;
  userId?: number | null;
  username?: string | null;
  detail?: string | null;
};

export async function recordEvent(event: EventInput): Promise<void> {
  await writeWhenUnlocked(() => insertEventNow(event, new Date()));
  // Pruning on write keeps retention bounded without a scheduler; one write in a
  // hundred is enough and keeps the cost off most requests.
  if (Math.random() < 0.01) await pruneEvents();
}

/**
 * The same row, synchronously on the process's own connection (lib/sqlite.ts),
 * so a caller can make it part of its own transaction (lib/users.ts
 * createUserWithSession).
 */
export function insertEventNow({ type, client, userId = null, username = null, detail = null }: EventInput, now: Date): void {
  statement(
    'INSERT INTO "SecurityEvent" ("type", "userId", "username", "ip", "userAgent", "detail", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(type, userId, username?.slice(0, 64) ?? null, client.ip, client.userAgent, detail, toStoredDate(now));
}

/** Whether an event of this type was recorded for this username within the last `seconds`. */
export async function hasRecentEvent(type: EventType, username: string, seconds: number, now: Date = new Date()): Promise<boolean> {
  const recent = await db.securityEvent.findFirst({
    where: { type, username, createdAt: { gt: new Date(now.getTime() - seconds * 1000) } },
    select: { id: true },
  });
  return recent !== null;
}

export async function pruneEvents(now: Date = new Date()): Promise<number> {
  const { count } = await db.securityEvent.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - AUDIT_RETENTION_DAYS * DAY_MS) } },
  });
  return count;
}

export async function listRecentEvents(userId: number, limit = 20) {
  return db.securityEvent.findMany({
    where: { userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: { id: true, type: true, ip: true, userAgent: true, createdAt: true },
  });
}
