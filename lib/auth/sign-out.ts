import "server-only";
import { recordEvent } from "../audit";
import type { Client } from "../http/client-address";
import { catchUnavailable } from "../http/service-unavailable";
import { deleteSessionCookie, readSessionCookie } from "../session/cookie";
import { revokeSession, sessionIdFromToken } from "../session/store";

/** Ends this request's session on the server and in the browser. */
export async function endSession(client: Client): Promise<void> {
  const cookie = await readSessionCookie();
  if (cookie) {
    await revokeSession(sessionIdFromToken(cookie.sid));
    await recordEvent({ type: "sign_out", client, userId: cookie.uid });
  }
  await deleteSessionCookie();
}

/**
 * Signs this browser out (the Sign out button, "revoke this session") and says
 * where to land. The cookie goes even when the database cannot revoke the row:
 * whoever pressed Sign out expects this browser to be signed out now (a shared
 * computer), and waiting for the database would leave it signed in. The row
 * then stays valid until its idle timeout, which the landing page says.
 */
export async function signOutThisBrowser(client: Client): Promise<string> {
  const recorded = await catchUnavailable(
    "sign-out",
    async () => {
      await endSession(client);
      return true;
    },
    () => false,
  );
  if (recorded) return "/login?signed-out=1";
  await deleteSessionCookie();
  return "/login?signed-out=unrecorded";
}
