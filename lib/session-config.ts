// What is sealed into the session cookie and how. Shared by lib/session.ts and
// middleware.ts, so it stays edge-safe: no Node APIs, no database.
import type { SessionOptions } from "iron-session";
import { getSessionConfig } from "./env";

/** The minimum the pages need: who, and the name to greet them by. */
export type SessionData = {
  userId: number;
  username: string;
};

export function getSessionOptions(): SessionOptions {
  const { secret, ttlSeconds, secureCookie } = getSessionConfig();
  return {
    // `__Host-` makes the browser refuse the cookie unless it is Secure, host-only
    // and Path=/, so a sibling subdomain cannot plant or overwrite it.
    cookieName: secureCookie ? "__Host-keycard_session" : "keycard_session",
    password: secret,
    ttl: ttlSeconds,
    cookieOptions: {
      httpOnly: true,
      secure: secureCookie,
      sameSite: "lax",
      path: "/",
    },
  };
}

/** A session counts only when the seal carried a well-formed user. */
export function isSignedIn(data: Partial<SessionData>): data is SessionData {
  return Number.isSafeInteger(data.userId) && typeof data.username === "string";
}
