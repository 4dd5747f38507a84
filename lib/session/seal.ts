// What is sealed into the session cookie, and how it is opened. Shared by the
// cookie itself (lib/session/cookie.ts), the session check (lib/session/store.ts)
// and middleware.ts, which opens the seal to turn strangers away without a query.
import { unsealData, type SessionOptions, type UnsealErrorReason } from "iron-session";
import { getSessionConfig } from "../config";

/**
 * The cookie holds only a random session token (checked against its database
 * row on every request) and the user id it was issued to.
 */
export type SessionCookieData = {
  sid: string;
  uid: number;
};

export function getSessionOptions(): SessionOptions {
  const { secrets, secureCookie, persistent } = getSessionConfig();
  return {
    // `__Host-` makes the browser refuse the cookie unless it is Secure, host-only
    // and Path=/, so a sibling subdomain cannot plant or overwrite it.
    cookieName: secureCookie ? "__Host-keycard_session" : "keycard_session",
    password: secrets,
    // The longest any session may live; shorter sessions are sealed with less.
    ttl: persistent.lifetimeSeconds,
    cookieOptions: {
      httpOnly: true,
      secure: secureCookie,
      sameSite: "lax",
      path: "/",
    },
  };
}

/** A cookie counts only when its seal carried a well-formed token and user id. */
export function hasSessionShape(data: Partial<SessionCookieData>): data is SessionCookieData {
  return typeof data.sid === "string" && data.sid.length >= 22 && Number.isSafeInteger(data.uid);
}

/** The seal's contents, or why it did not open (null: nothing wrong with it, just nothing in it). */
export type OpenedSeal = { ok: true; data: SessionCookieData } | { ok: false; reason: UnsealErrorReason | null };

// Opening a seal (key derivations, an HMAC, a decryption) is the costliest part
// of a signed-in request's own work, and a browser sends the same seal with
// every request (docs/performance.md). So a
// seal that opened is remembered for a minute, keyed by the whole seal: only a
// string that has already proved itself skips the cryptography, and the
// session's row is checked on every request all the same. Bounded, oldest out first.
const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 5_000;
const opened = new Map<string, { data: SessionCookieData; until: number }>();

export async function openSeal(seal: string, now: number = Date.now()): Promise<OpenedSeal> {
  const remembered = opened.get(seal);
  if (remembered && now < remembered.until) return { ok: true, data: remembered.data };
  let reason: UnsealErrorReason | null = null;
  const data = await unsealData<Partial<SessionCookieData>>(seal, {
    ...getSessionOptions(),
    onUnsealError: (error) => (reason = error),
  });
  if (!hasSessionShape(data)) return { ok: false, reason };
  opened.delete(seal);
  if (opened.size >= MAX_REMEMBERED) opened.delete(opened.keys().next().value as string);
  opened.set(seal, { data: { sid: data.sid, uid: data.uid }, until: now + REMEMBER_MS });
  return { ok: true, data: { sid: data.sid, uid: data.uid } };
}
