// Middleware checks the session cookie once per request (lib/session-lookup.ts)
// and hands the answer to the page, action or route in a request header, so
// the page neither opens the seal nor queries the database again.
//
// The header's name is random per process, like the peer-address header
// (lib/peer-address.ts): a client cannot guess it, so cannot forge a session by
// sending it, and middleware removes any copy a client sends anyway. Should a
// request reach a page without passing middleware (CVE-2025-29927), there is
// no handoff and the page checks the cookie itself (lib/dal.ts).
import type { CookieCheck } from "./session-lookup";

// On globalThis: middleware and the app are separate bundles in one process.
const globalForHandoff = globalThis as unknown as { keycardHandoffHeader?: string };

export function handoffHeaderName(): string {
  globalForHandoff.keycardHandoffHeader ??= `x-keycard-session-${crypto.randomUUID()}`;
  return globalForHandoff.keycardHandoffHeader;
}

export function encodeHandoff(check: CookieCheck): string {
  return JSON.stringify(check);
}

/** The check middleware made for this request, or null when there is none. */
export function decodeHandoff(value: string | null): CookieCheck | null {
  if (value === null) return null;
  const check = JSON.parse(value) as CookieCheck;
  if (check.ok) {
    // Dates travel as ISO strings.
    const { session } = check.value;
    for (const key of ["createdAt", "lastSeenAt", "expiresAt"] as const) session[key] = new Date(session[key]);
    session.revokedAt = session.revokedAt === null ? null : new Date(session.revokedAt);
  }
  return check;
}
