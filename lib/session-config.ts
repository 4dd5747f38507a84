// What is sealed into the session cookie and how. Shared by lib/session-cookie.ts
// and middleware.ts, so it stays edge-safe: no Node APIs, no database.
import type { SessionOptions } from "iron-session";
import { getSessionConfig } from "./config";

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
