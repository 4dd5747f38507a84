import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { recordEvent } from "./audit";
import { getClient } from "./request-context";
import { getSessionOptions } from "./session-config";
import { takeHandoff } from "./session-handoff";
import { checkSessionSeal, type CookieCheck, type ValidatedSession } from "./session-lookup";
import type { PublicUser } from "./users";

/**
 * This request's session and user, checked against the database: one query for
 * both, once per request. Middleware makes that check and hands it over
 * (lib/session-handoff.ts); a request that did not pass middleware is checked
 * here. Every page, action and route asks here, never the cookie directly.
 */
export const getCurrentSession = cache(async (): Promise<ValidatedSession | null> => {
  const check = await checkThisRequest();
  if (check.ok) return check.value;
  // Never log the cookie itself.
  if (check.rejected) await noteRejectedCookie(check.rejected, check.claimedUserId);
  return null;
});

async function checkThisRequest(): Promise<CookieCheck> {
  const cookie = (await cookies()).get(getSessionOptions().cookieName)?.value;
  return takeHandoff(await headers(), cookie) ?? checkSessionSeal(cookie);
}

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

async function noteRejectedCookie(reason: string, userId: number | null): Promise<void> {
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
