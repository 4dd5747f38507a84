// Runs before every page and route (not static files):
// 1. refuses cross-site state-changing requests (forged forms and server actions);
// 2. gives each response a Content-Security-Policy with a fresh nonce;
// 3. sends strangers to sign in before any protected page code runs. That is an
//    optimistic check on the cookie's seal only (no database); the pages check
//    the session row themselves (lib/dal.ts), so skipping this file
//    (CVE-2025-29927) gains an attacker nothing.
import { unsealData } from "iron-session";
import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { isCrossSiteRequest, isStateChanging } from "./lib/origin";
import { contentSecurityPolicy, createNonce } from "./lib/security-headers";
import { getSessionOptions, hasSessionShape, type SessionCookieData } from "./lib/session-config";

const PROTECTED = /^\/(dashboard|protected|account)(\/|$)/;

export async function middleware(request: NextRequest): Promise<NextResponse> {
  if (isStateChanging(request.method) && isCrossSiteRequest(request)) {
    const headers = { "Cache-Control": "no-store" };
    // The JSON API answers in JSON, as its own check in the route would.
    if (request.nextUrl.pathname.startsWith("/api/")) {
      return NextResponse.json({ error: "Cross-site request refused" }, { status: 403, headers });
    }
    return new NextResponse("Cross-site request refused.", { status: 403, headers });
  }

  const nonce = createNonce();
  const csp = contentSecurityPolicy(nonce, { dev: process.env.NODE_ENV === "development" });
  const { pathname, search, searchParams } = request.nextUrl;

  if (PROTECTED.test(pathname) && !(await hasValidSeal(request))) {
    const login = new URL(`/login?next=${encodeURIComponent(pathname + search)}`, request.url);
    // Same host as the request, so Next sends a relative Location: behind a proxy
    // or under `next start -H 127.0.0.1`, request.url's host may not be the public one.
    const response = NextResponse.redirect(login, 307);
    response.headers.set("Cache-Control", "no-store");
    return withSecurityHeaders(request, response, csp);
  }

  // Next.js reads the nonce from the request's CSP header and puts it on its own scripts.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = withSecurityHeaders(request, NextResponse.next({ request: { headers: requestHeaders } }), csp);
  // The end of sign-out (logoutAction redirects here): wipe whatever the site
  // stored. Only when no session cookie is left, so a link cannot sign anyone out,
  // and only on GET: the sign-in form on this page posts to this same URL, and
  // its answer carries the new session's cookie.
  const signedOutLanding = request.method === "GET" && pathname === "/login" && searchParams.has("signed-out");
  if (signedOutLanding && !(await hasValidSeal(request))) {
    response.headers.set("Clear-Site-Data", '"cookies"');
  }
  return response;
}

function withSecurityHeaders(request: NextRequest, response: NextResponse, csp: string): NextResponse {
  response.headers.set("Content-Security-Policy", csp);
  // HSTS only over HTTPS, direct or reported by the proxy in front.
  const https = request.nextUrl.protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
  if (https) response.headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  return response;
}

async function hasValidSeal(request: NextRequest): Promise<boolean> {
  const options = getSessionOptions();
  const seal = request.cookies.get(options.cookieName)?.value;
  if (!seal) return false;
  return hasSessionShape(await unsealData<Partial<SessionCookieData>>(seal, options));
}

export const config = {
  // Everything but build assets and the favicon: every page, action and API route.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
