// The data access layer: who is signed in, checked for real. Middleware only
// turns away requests whose cookie cannot even be opened; every page, action
// and route that needs the user asks here, so skipping middleware
// (CVE-2025-29927) gains an attacker nothing.
import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import { recordEvent } from "./audit";
import type { PublicUser } from "./db/users";
import { getClient } from "./http/client-address";
import { requestSeal } from "./session/cookie";
import { checkSessionSeal, isRecentSignIn, type ValidatedSession } from "./session/store";

export type { ValidatedSession };

/**
 * This request's session and user, checked against the database: one query for
 * both, once per request (React's cache() shares the answer within it).
 */
export const getCurrentSession = cache(async (): Promise<ValidatedSession | null> => {
  const check = await checkSessionSeal(await requestSeal());
  if (check.ok) return check.value;
  // Never log the cookie itself.
  if (check.rejected) await noteRejectedCookie(check.rejected, check.claimedUserId);
  return null;
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

/**
 * For sensitive pages and actions: the session, when its user proved who they
 * are within RECENT_SIGN_IN_SECONDS; else a redirect to "Confirm it's you",
 * which comes back to `returnTo` afterwards.
 */
export async function requireRecentSignIn(returnTo: string): Promise<ValidatedSession> {
  const current = await requireSessionWithRecentSignIn(returnTo);
  if (!current) redirect(confirmIdentityPath(returnTo));
  return current;
}

/**
 * requireRecentSignIn for actions the browser's own code calls, which cannot
 * follow a redirect mid-way: null when the sign-in is not recent, and the
 * caller sends the user to confirmIdentityPath(returnTo).
 */
export async function requireSessionWithRecentSignIn(returnTo: string): Promise<ValidatedSession | null> {
  const current = await requireSession(returnTo);
  return isRecentSignIn(current.session) ? current : null;
}

/** "Confirm it's you", then back to `returnTo`. */
export const confirmIdentityPath = (returnTo: string): string => `/account/confirm?next=${encodeURIComponent(returnTo)}`;

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
