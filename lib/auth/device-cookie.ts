import "server-only";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { cookies } from "next/headers";
import { getSessionConfig } from "../config";

// OWASP's "device cookies" against lockout abuse: a browser that has signed in
// as a user carries a cookie, signed with the session secret, naming that user
// and a random device id. Its attempts at that account are throttled per device
// (lib/auth/throttle.ts RULES.device) instead of by the account-wide lockout, so a
// stranger's wrong guesses cannot lock the user out of their own browsers.
// It proves only "this browser signed in as this user before", never a session.

const LIFETIME_SECONDS = 180 * 24 * 60 * 60;

function deviceCookieName(): string {
  return getSessionConfig().secureCookie ? "__Host-keycard_device" : "keycard_device";
}

/** 128-bit HMAC-SHA-256 under one of the session secrets, kept apart from iron's use of them. */
function signature(payload: string, secret: string): Buffer {
  return createHmac("sha256", secret).update(`keycard-device-cookie.${payload}`).digest().subarray(0, 16);
}

/** `<username, base64url>.<device id>.<signature>`, signed with the newest session secret. */
export function signDeviceCookie(username: string, deviceId: string = randomBytes(12).toString("base64url")): string {
  const { secrets } = getSessionConfig();
  const newest = Math.max(...Object.keys(secrets).map(Number));
  const payload = `${Buffer.from(username).toString("base64url")}.${deviceId}`;
  return `${payload}.${signature(payload, secrets[newest]!).toString("base64url")}`;
}

/** The device id of a cookie signed for `username` with any current secret, or null. */
export function deviceIdFor(cookie: string | undefined, username: string): string | null {
  const [name, deviceId, mac, ...rest] = (cookie ?? "").split(".");
  if (!name || !deviceId || !mac || rest.length > 0) return null;
  if (Buffer.from(name, "base64url").toString() !== username) return null;
  const given = Buffer.from(mac, "base64url");
  const payload = `${name}.${deviceId}`;
  const signed = Object.values(getSessionConfig().secrets).some((secret) => {
    const expected = signature(payload, secret);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return signed ? deviceId : null;
}

export async function readDeviceCookie(): Promise<string | undefined> {
  return (await cookies()).get(deviceCookieName())?.value;
}

/**
 * After a sign-in: this browser is now a device of `username` (the same device
 * id when it already was), for another half year.
 */
export async function rememberDevice(username: string): Promise<void> {
  const known = deviceIdFor(await readDeviceCookie(), username);
  const { secureCookie } = getSessionConfig();
  (await cookies()).set(deviceCookieName(), signDeviceCookie(username, known ?? undefined), {
    httpOnly: true,
    secure: secureCookie,
    sameSite: "lax",
    path: "/",
    maxAge: LIFETIME_SECONDS,
  });
}
