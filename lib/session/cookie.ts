// The session cookie of the request being handled: read, set, deleted.
import "server-only";
import { getIronSession, type IronSession } from "iron-session";
import { cookies } from "next/headers";
import { getSessionConfig } from "../config";
import { getSessionOptions, openSeal, type SessionCookieData } from "./seal";

async function openCookie(): Promise<IronSession<SessionCookieData>> {
  return getIronSession<SessionCookieData>(await cookies(), getSessionOptions());
}

/** The sealed cookie this request carries, unopened, if any. */
export async function requestSeal(): Promise<string | undefined> {
  return (await cookies()).get(getSessionOptions().cookieName)?.value;
}

/** The token and user id in this request's cookie, or null when there is none or its seal does not open. */
export async function readSessionCookie(): Promise<SessionCookieData | null> {
  const seal = await requestSeal();
  const opened = seal ? await openSeal(seal) : null;
  return opened?.ok ? opened.data : null;
}

/** Seals the token into the cookie: a week-long cookie for "Keep me signed in", else one that ends with the browser. */
export async function setSessionCookie(data: SessionCookieData, persistent: boolean): Promise<void> {
  const session = await openCookie();
  const options = getSessionOptions();
  const { browser } = getSessionConfig();
  if (!persistent) {
    session.updateConfig({
      ...options,
      ttl: browser.lifetimeSeconds,
      cookieOptions: { ...options.cookieOptions, maxAge: undefined },
    });
  }
  session.sid = data.sid;
  session.uid = data.uid;
  await session.save();
}

export async function deleteSessionCookie(): Promise<void> {
  const session = await openCookie();
  session.destroy();
}
