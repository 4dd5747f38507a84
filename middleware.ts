// Optimistic gate for the protected area: a request without a valid sealed
// cookie is sent to sign in before any page code runs. It only unseals the
// cookie (no database); the pages re-check the user themselves (lib/dal.ts),
// so skipping this file (CVE-2025-29927) gains an attacker nothing.
import { unsealData } from "iron-session";
import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { getSessionOptions, isSignedIn, type SessionData } from "./lib/session-config";

export async function middleware(request: NextRequest): Promise<NextResponse> {
  const options = getSessionOptions();
  const seal = request.cookies.get(options.cookieName)?.value;
  if (seal) {
    const data = await unsealData<Partial<SessionData>>(seal, options);
    if (isSignedIn(data)) return NextResponse.next();
  }
  const { pathname, search } = request.nextUrl;
  const login = new URL(`/login?next=${encodeURIComponent(pathname + search)}`, request.url);
  // Same host as the request, so Next sends a relative Location: behind a proxy
  // or under `next start -H 127.0.0.1`, request.url's host may not be the public one.
  const response = NextResponse.redirect(login, 307);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

export const config = {
  matcher: ["/dashboard/:path*", "/protected/:path*"],
};
