import "server-only";
import { getIronSession, type IronSession } from "iron-session";
import { cookies } from "next/headers";
import { getSessionOptions, type SessionData } from "./session-config";
import type { PublicUser } from "./users";

export async function getSession(): Promise<IronSession<SessionData>> {
  return getIronSession<SessionData>(await cookies(), {
    ...getSessionOptions(),
    onUnsealError(reason) {
      // Expiry is how sessions normally end; anything else may be tampering or a
      // botched secret rotation. Never log the cookie itself.
      if (reason !== "expired") console.warn(`keycard: session cookie rejected (${reason})`);
    },
  });
}

export async function startSession(user: PublicUser): Promise<void> {
  const session = await getSession();
  session.userId = user.id;
  session.username = user.username;
  await session.save();
}

export async function endSession(): Promise<void> {
  const session = await getSession();
  session.destroy();
}
