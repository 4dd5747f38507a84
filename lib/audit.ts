import "server-only";
import { deleteEventsBefore, hasEventSince, insertEvent, listRecentEvents as listEventRows, type EventRow } from "./db/audit";
import type { Client } from "./http/client-address";

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
  two_factor_enabled: "Two-factor authentication turned on",
  two_factor_disabled: "Two-factor authentication turned off",
  recovery_codes_created: "New recovery codes made",
  recovery_code_used: "Recovery code used",
  two_factor_failed: "Wrong authentication code",
  reauthenticated: "Confirmed it's you",
  reauthentication_failed: "Wrong password when confirming it's you",
  two_factor_reset: "Two-factor authentication reset by an operator",
  passkey_added: "Passkey added",
  passkey_used: "Signed in with a passkey",
  passkey_removed: "Passkey removed",
} as const;

export type EventType = keyof typeof EVENT_LABELS;

/** Events older than this are deleted (documented in docs/security.md). */
export const AUDIT_RETENTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export type EventInput = {
  type: EventType;
  client: Client;
  userId?: number | null;
  username?: string | null;
  detail?: string | null;
};

/** The row an event is stored as, for writing it inside another transaction. */
export function eventRow({ type, client, userId = null, username = null, detail = null }: EventInput, now?: Date): EventRow {
  return { type, userId, username, ip: client.ip, userAgent: client.userAgent, detail, ...(now ? { createdAt: now } : {}) };
}

export async function recordEvent(event: EventInput): Promise<void> {
  await insertEvent(eventRow(event));
  // Pruning on write keeps retention bounded without a scheduler; one write in a
  // hundred is enough and keeps the cost off most requests.
  if (Math.random() < 0.01) await pruneEvents();
}

/** Whether an event of this type was recorded for this username within the last `seconds`. */
export async function hasRecentEvent(type: EventType, username: string, seconds: number, now: Date = new Date()): Promise<boolean> {
  return hasEventSince(type, username, new Date(now.getTime() - seconds * 1000));
}

export async function pruneEvents(now: Date = new Date()): Promise<number> {
  return deleteEventsBefore(new Date(now.getTime() - AUDIT_RETENTION_DAYS * DAY_MS));
}

export async function listRecentEvents(userId: number, limit = 20) {
  return listEventRows(userId, limit);
}
