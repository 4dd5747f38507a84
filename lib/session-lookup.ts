// The per-request session check: the session row and its user in one query
// (lib/db/sessions.ts). Middleware (Node runtime) runs it once per request and
// hands the answer to the page (lib/session-handoff.ts), so there is one
// database round trip per request and, for most requests, no write.
import { createHash, randomBytes } from "node:crypto";
import { unsealData, type UnsealErrorReason } from "iron-session";
import { findSessionWithUser, touchSession, type SessionRecord } from "./db/sessions";
import { getSessionConfig, type SessionConfig } from "./config";
import { getSessionOptions, hasSessionShape, type SessionCookieData } from "./session-config";
import { isDatabaseUnavailable, logDatabaseUnavailable } from "./unavailable";

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
  const opened = await openSeal(seal, now);
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

// Opening a seal costs two PBKDF2 key derivations, an HMAC and an AES
// decryption: about 0.4 ms of CPU, the largest part of a signed-in request's
// own work. A browser sends the same seal with every request, so each seal that
// opened is remembered, keyed by the whole seal: only a string that has already
// proved itself skips the cryptography, and only until the expiry written in
// it. Bounded, oldest out first; a restart (also how secrets change) empties it.
const openedSeals = new Map<string, { data: SessionCookieData; expiresAt: number }>();
const MAX_OPENED_SEALS = 5_000;

type OpenedSeal = { ok: true; data: SessionCookieData } | { ok: false; reason: UnsealErrorReason | null };

async function openSeal(seal: string, now: Date): Promise<OpenedSeal> {
  const remembered = openedSeals.get(seal);
  if (remembered && now.getTime() < remembered.expiresAt) return { ok: true, data: remembered.data };
  let reason: UnsealErrorReason | null = null;
  const data = await unsealData<Partial<SessionCookieData>>(seal, {
    ...getSessionOptions(),
    onUnsealError: (error) => (reason = error),
  });
  if (!hasSessionShape(data)) return { ok: false, reason };
  if (openedSeals.size >= MAX_OPENED_SEALS) openedSeals.delete(openedSeals.keys().next().value as string);
  openedSeals.set(seal, { data: { sid: data.sid, uid: data.uid }, expiresAt: sealExpiry(seal) });
  return { ok: true, data };
}

/**
 * The expiry iron writes into a seal ("Fe26.2*id*salt*iv*data*EXPIRY*salt*mac~2").
 * Seals of browser sessions carry none (iron-session seals cookies without
 * Max-Age with ttl 0): iron accepts those for ever, and so does this cache; the
 * session row's own expiry is what ends them.
 */
function sealExpiry(seal: string): number {
  const expiry = Number(seal.split("*")[5] || Number.NaN);
  return Number.isSafeInteger(expiry) && expiry > 0 ? expiry : Number.POSITIVE_INFINITY;
}
