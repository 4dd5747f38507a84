import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import { recordEvent } from "./audit";
import { getClient } from "./request-context";
import { validateSessionToken, type ValidatedSession } from "./session";
import { readSessionCookie } from "./session-cookie";
import type { PublicUser } from "./users";

/**
 * This request's session and user, checked against the database every time:
 * one query for both, memoised per request by React's cache(). Middleware only
 * makes an optimistic guess from the cookie; every page, action and route asks
 * here, so a request that skips middleware still sees nothing.
 */
export const getCurrentSession = cache(async (): Promise<ValidatedSession | null> => {
  const cookie = await readSessionCookie();
  if (!cookie.ok) {
    // Expiry is how cookies normally end; anything else may be tampering or a
    // secret removed too early. Never log the cookie itself.
    if (cookie.rejected && cookie.rejected !== "expired") await noteRejectedCookie(cookie.rejected);
    return null;
  }
  const result = await validateSessionToken(cookie.data.sid, cookie.data.uid);
  if (!result.ok) {
    // A revoked or unknown token coming back is a replayed cookie: worth a line in the log.
    if (result.reason === "revoked" || result.reason === "unknown") await noteRejectedCookie(result.reason, cookie.data.uid);
    return null;
  }
  return result.value;
});

export async function getCurrentUser(): Promise<PublicUser | null> {
  return (await getCurrentSession())?.user ?? null;
}

/** For protected pages and actions: the session, or a redirect to sign in and come back. */
export async function requireSession(returnTo: string): Promise<ValidatedSession> {
  const current = await getCurrentSession();
  if (!current) redirect(`/login?next=${encodeURIComponent(returnTo)}`);
  return current;
}

export async function requireUser(returnTo: string): Promise<PublicUser> {
  return (await requireSession(returnTo)).user;
}

// One audit row per address per minute at most: a client replaying garbage on
// every request must not turn each request into a database write.
const recentlyNoted = new Map<string, number>();

async function noteRejectedCookie(reason: string, userId: number | null = null): Promise<void> {
  const client = await getClient();
  const now = Date.now();
  const last = recentlyNoted.get(client.ip);
  if (last !== undefined && now - last < 60_000) return;
  if (recentlyNoted.size > 10_000) recentlyNoted.clear();
  recentlyNoted.set(client.ip, now);
  console.warn(`keycard: session cookie rejected (${reason})`);
  // A cookie that claims a user but failed its seal proves nothing about that user.
  const provenUser = reason === "revoked" ? userId : null;
  await recordEvent({ type: "cookie_rejected", client, userId: provenUser, detail: reason });
}
