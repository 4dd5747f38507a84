// Runs before every page, action and route (not static files), on the Node
// runtime:
// 1. refuses cross-site state-changing requests (forged forms and server actions),
//    and form posts that Next.js itself would answer with a 500 (lib/form-post.ts);
// 2. checks the session cookie against the database, once per request, and
//    hands the answer to the page (lib/session-handoff.ts);
// 3. sends strangers to sign in before any protected page code runs, with the
//    strictest fixed Content-Security-Policy (a redirect has no page);
// 4. gives every other answer a Content-Security-Policy with a fresh nonce, on
//    the request too, where Next.js reads it for the page's own scripts.
// Pages ask lib/dal.ts, which checks the cookie itself when no handoff came, so
// skipping this file (CVE-2025-29927) gains an attacker nothing.
//
// Why the Node runtime: the same middleware measured on this repo's production
// build (2 cores, autocannon, 32 connections; docs/performance.md) redirected
// 1,057 req/s on the edge runtime (sandboxed) and 1,794 req/s on Node, and only
// Node can reach SQLite, which lets the one session query happen here.
import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { checkFormPost } from "./lib/form-post";
import { isCrossSiteRequest, isStateChanging } from "./lib/origin";
import { contentSecurityPolicy, createNonce, REDIRECT_POLICY } from "./lib/security-headers";
import { getSessionOptions } from "./lib/session-config";
import { handOver } from "./lib/session-handoff";
import { checkSessionSeal, type CookieCheck } from "./lib/session-lookup";
import { isDatabaseUnavailable, logDatabaseUnavailable, unavailableResponseFor } from "./lib/unavailable";

const PROTECTED = /^\/(dashboard|protected|account)(\/|$)/;

export async function middleware(request: NextRequest): Promise<NextResponse | Response> {
  const { pathname } = request.nextUrl;
  const isApi = pathname.startsWith("/api/");

  if (isStateChanging(request.method) && isCrossSiteRequest(request)) {
    const headers = { "Cache-Control": "no-store" };
    // The JSON API answers in JSON, as its own check in the route would.
    if (isApi) return withPagePolicy(NextResponse.json({ error: "Cross-site request refused" }, { status: 403, headers }));
    return withPagePolicy(new NextResponse("Cross-site request refused.", { status: 403, headers }));
  }

  // The JSON API reads and checks its own body (lib/request.ts). Any other post,
  // to a page or to a path that is none, reaches Next.js's server-action decoding.
  if (request.method === "POST" && pathname !== "/api/session") {
    const problem = await checkFormPost(request);
    if (problem) return withPagePolicy(new NextResponse(problem.message, { status: problem.status, headers: { "Cache-Control": "no-store" } }));
  }

  const cookie = request.cookies.get(getSessionOptions().cookieName)?.value;
  let check: CookieCheck;
  try {
    // No cookie: no seal to open, no query (a stranger's redirect costs nothing more).
    check = await checkSessionSeal(cookie);
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    logDatabaseUnavailable(error, "middleware");
    return withPagePolicy(unavailableResponseFor(pathname));
  }

  if (PROTECTED.test(pathname) && !check.ok) return redirectToSignIn(request);

  if (cookie !== undefined) handOver(request.headers, cookie, check);
  const policy = pagePolicy();
  // Next.js puts the nonce on the page's scripts from the request's policy; set
  // here, it also replaces any policy header a client sent.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", policy);
  return withTransportSecurity(request, response);
}

function pagePolicy(): string {
  return contentSecurityPolicy(createNonce(), { dev: process.env.NODE_ENV === "development" });
}

/** Middleware's own answers (refusals, the 503 page, which links the stylesheet). */
function withPagePolicy<T extends Response>(response: T): T {
  response.headers.set("Content-Security-Policy", pagePolicy());
  return response;
}

function redirectToSignIn(request: NextRequest): NextResponse {
  const { pathname, search } = request.nextUrl;
  // Same host as the request, so Next sends a relative Location: behind a proxy
  // or under `next start -H 127.0.0.1`, request.url's host may not be the public one.
  const login = new URL(`/login?next=${encodeURIComponent(pathname + search)}`, request.url);
  const response = NextResponse.redirect(login, 307);
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("Content-Security-Policy", REDIRECT_POLICY);
  return withTransportSecurity(request, response);
}

/** HSTS only over HTTPS, direct or reported by the proxy in front. */
function withTransportSecurity(request: NextRequest, response: NextResponse): NextResponse {
  const https = request.nextUrl.protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
  if (https) response.headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  return response;
}

export const config = {
  runtime: "nodejs",
  // Everything but build assets, the favicon and the stylesheet: every page, action
  // and API route.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|keycard.css).*)"],
};
