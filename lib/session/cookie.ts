// The session cookie of the request being handled: read, set, deleted.
import "server-only";
import { getIronSession, type IronSession, type UnsealErrorReason } from "iron-session";
import { cookies } from "next/headers";
import { getSessionConfig } from "../config";
import { getSessionOptions, hasSessionShape, type SessionCookieData } from "./seal";

export type CookieRead = { ok: true; data: SessionCookieData } | { ok: false; rejected: UnsealErrorReason | null };

async function openCookie(onUnsealError?: (reason: UnsealErrorReason) => void): Promise<IronSession<SessionCookieData>> {
  return getIronSession<SessionCookieData>(await cookies(), {
    ...getSessionOptions(),
    ...(onUnsealError ? { onUnsealError } : {}),
  });
}

/**
 * The token and user id from this request's cookie. `rejected` says why a
 * cookie that was present could not be used ("expired", "invalid" for tampering
 * or garbage, "unknown-password" for a secret that was removed); null when there
 * was no cookie at all.
 */
export async function readSessionCookie(): Promise<CookieRead> {
  let rejected: UnsealErrorReason | null = null;
  const session = await openCookie((reason) => {
    rejected = reason;
  });
  if (hasSessionShape(session)) return { ok: true, data: { sid: session.sid, uid: session.uid } };
  return { ok: false, rejected };
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
