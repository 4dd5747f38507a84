// Runs before every page, action and route (not static files), on the Node
// runtime. An optimistic check only, touching no database (lib/dal.ts makes the
// real one):
// 1. refuses cross-site state-changing requests (forged forms and server
//    actions), and form posts that Next.js itself would answer with a 500
//    (lib/http/form-post.ts);
// 2. sends strangers to sign in before any protected page code runs: a cookie
//    whose seal does not open, or none; a redirect gets the strictest fixed
//    Content-Security-Policy (it has no page);
// 3. answers the 503 page where a page would need a database found unusable a
//    moment ago (a page cannot set its own status; lib/db/availability.ts);
// 4. gives every other answer a Content-Security-Policy with a fresh nonce, on
//    the request too, where Next.js reads it for the page's own scripts.
//
// Why the Node runtime: the edge runtime's sandbox made every request measurably
// dearer (docs/performance.md).
import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { isDatabaseKnownDown } from "./lib/db/availability";
import { checkFormPost } from "./lib/http/form-post";
import { isCrossSiteRequest, isStateChanging } from "./lib/http/origin";
import { contentSecurityPolicy, createNonce, REDIRECT_POLICY } from "./lib/http/security-headers";
import { serviceUnavailablePage } from "./lib/http/service-unavailable";
import { getSessionOptions, openSeal } from "./lib/session/seal";

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

  // The JSON API reads and checks its own body (lib/http/body.ts). Any other post,
  // to a page or to a path that is none, reaches Next.js's server-action decoding.
  if (request.method === "POST" && pathname !== "/api/session") {
    const problem = await checkFormPost(request);
    if (problem) return withPagePolicy(new NextResponse(problem.message, { status: problem.status, headers: { "Cache-Control": "no-store" } }));
  }

  // The seal is opened only where its answer decides something: a protected
  // page, or any page while the database is down (the API answers 503 JSON
  // itself, lib/http/service-unavailable.ts catchUnavailable).
  const isProtected = PROTECTED.test(pathname);
  const databaseDown = !isApi && isDatabaseKnownDown();
  const cookie = isProtected || databaseDown ? request.cookies.get(getSessionOptions().cookieName)?.value : undefined;
  // No cookie: no seal to open (a stranger's redirect costs nothing more).
  const opened = cookie ? await openSeal(cookie) : null;
  if (isProtected && !opened?.ok) return redirectToSignIn(request);
  if (opened?.ok && databaseDown) return withPagePolicy(serviceUnavailablePage());

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
