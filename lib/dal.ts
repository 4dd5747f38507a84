import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getSession } from "./session";
import { isSignedIn } from "./session-config";
import { findUserById, type PublicUser } from "./users";

/**
 * Who is signing this request, checked against the database every time.
 * Middleware only makes an optimistic guess from the cookie; every page, action
 * and route asks here, so a request that skips middleware still sees nothing.
 * Memoised per request by React's cache().
 */
export const getCurrentUser = cache(async (): Promise<PublicUser | null> => {
  const session = await getSession();
  if (!isSignedIn(session)) return null;
  const user = await findUserById(session.userId);
  // A removed user, or a cookie sealed for someone else's id, is a stranger.
  if (!user || user.username !== session.username) return null;
  return user;
});

/** For protected pages: the user, or a redirect to sign in and come back. */
export async function requireUser(returnTo: string): Promise<PublicUser> {
  const user = await getCurrentUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(returnTo)}`);
  return user;
}
