import "server-only";
import { sealData, unsealData } from "iron-session";
import { cookies } from "next/headers";
import { getSessionConfig } from "../config";

// The state between a right password and the second factor, for an account
// with two-factor authentication on: who passed the password, when, and
// whether they asked to stay signed in. Sealed with the session secrets into a
// short-lived cookie of its own, so it stays with the browser that passed the
// password and no session exists, nor can reach a protected page, before the
// second factor. `kind` keeps it apart from a session cookie's seal (the same
// secrets seal both): neither opens as the other.

export const PENDING_SIGN_IN_SECONDS = 5 * 60;

// iron's own expiry as well, a little later, in case a clock is off.
const sealOptions = () => ({ password: getSessionConfig().secrets, ttl: PENDING_SIGN_IN_SECONDS + 60 });

/** `passwordStamp`: which password was passed (lib/auth/sign-in.ts pendingSignInStillHolds). */
export type PendingSignIn = { uid: number; username: string; persistent: boolean; passwordAt: Date; passwordStamp: string };

type Sealed = {
  kind: "pending-sign-in";
  uid: number;
  username: string;
  persistent: boolean;
  passwordAt: number;
  expiresAt: number;
  passwordStamp: string;
};

export async function sealPendingSignIn({ uid, username, persistent, passwordAt, passwordStamp }: PendingSignIn): Promise<string> {
  const sealed: Sealed = {
    kind: "pending-sign-in",
    uid,
    username,
    persistent,
    passwordStamp,
    passwordAt: passwordAt.getTime(),
    expiresAt: passwordAt.getTime() + PENDING_SIGN_IN_SECONDS * 1000,
  };
  return sealData(sealed, sealOptions());
}

/** The pending sign-in, or null: not one, altered, sealed with an unknown secret, or expired at `now`. */
export async function openPendingSignIn(seal: string | undefined, now: Date = new Date()): Promise<PendingSignIn | null> {
  if (!seal) return null;
  const data = await unsealData<Partial<Sealed>>(seal, sealOptions()).catch(() => ({}));
  const { kind, uid, username, persistent, passwordAt, expiresAt, passwordStamp } = data as Partial<Sealed>;
  if (kind !== "pending-sign-in" || !Number.isSafeInteger(uid) || typeof username !== "string" || typeof persistent !== "boolean") return null;
  if (typeof passwordStamp !== "string") return null;
  if (typeof passwordAt !== "number" || typeof expiresAt !== "number" || now.getTime() >= expiresAt) return null;
  return { uid: uid!, username, persistent, passwordAt: new Date(passwordAt), passwordStamp };
}

// The cookie: HttpOnly, SameSite=Lax, `__Host-` where cookies are Secure (as
// the session cookie's), and gone after PENDING_SIGN_IN_SECONDS in the browser too.
function cookieOptions() {
  const { secureCookie } = getSessionConfig();
  return {
    name: secureCookie ? "__Host-keycard_pending" : "keycard_pending",
    httpOnly: true,
    secure: secureCookie,
    sameSite: "lax",
    path: "/",
  } as const;
}

export async function setPendingSignInCookie(pending: PendingSignIn): Promise<void> {
  (await cookies()).set({ ...cookieOptions(), value: await sealPendingSignIn(pending), maxAge: PENDING_SIGN_IN_SECONDS });
}

/** This browser's pending sign-in, or null (none, expired, or not a seal of ours). */
export async function readPendingSignIn(now: Date = new Date()): Promise<PendingSignIn | null> {
  return openPendingSignIn((await cookies()).get(cookieOptions().name)?.value, now);
}

export async function deletePendingSignInCookie(): Promise<void> {
  (await cookies()).delete(cookieOptions());
}
