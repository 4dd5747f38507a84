// Preloaded into the server process before Next.js starts (`node --import`:
// package.json's start and dev scripts, the README's standalone command).
// `next start` listens first and loads the app after, instrumentation.ts
// included: a hook installed there missed the requests accepted in between.
// Node publishes every request on a diagnostics channel before any handler
// runs; subscribed from here, the hooks below see every request, the first one
// included, and the answers Next.js writes without the app (static files, its
// own redirects for a trailing or doubled slash) as well as the app's.
import { randomBytes } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";

/**
 * The same on every answer (OWASP ASVS 5 V3.4). `headers()` in next.config.mjs
 * would miss the redirects Next.js makes by itself. The Content-Security-Policy,
 * fresh per page, comes from middleware.ts.
 */
const STATIC_SECURITY_HEADERS = [
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"],
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
];

// Methods: Next.js answers some with a 500 before any code of this app can see
// them: TRACE on any path (middleware's web Request refuses to be built with
// it, and Next.js logs a stack trace), anything but GET and HEAD on a static
// file (it renders a 405 page an App Router build does not have). So each
// request is checked here against what its path takes; the rest get 405 with
// Allow, and Next.js never sees them.

/** The methods each route handler (a route.ts under app/) exports, HEAD with GET: a new route or method goes here. */
const ROUTE_METHODS = new Map([
  ["/api/session", ["GET", "HEAD", "POST", "DELETE"]],
  ["/api/health", ["GET", "HEAD"]],
  ["/sign-out", ["POST"]],
]);
const FILE_METHODS = ["GET", "HEAD"];
/** Pages render on GET and HEAD, and take form posts and server actions on POST. */
const PAGE_METHODS = ["GET", "HEAD", "POST"];

/** What a request's path takes. Files are build assets, the image endpoint and anything named with an extension. */
function allowedMethods(url) {
  const pathname = pathnameOf(url);
  const route = ROUTE_METHODS.get(pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname);
  if (route) return route;
  if (pathname.startsWith("/_next/static/") || pathname.startsWith("/_next/image") || /\.[^/]*$/.test(pathname)) return FILE_METHODS;
  return PAGE_METHODS;
}

/** The path as Next.js will route it: dot segments resolved, percent-escapes decoded. */
function pathnameOf(url) {
  let pathname;
  try {
    pathname = new URL(url, "http://localhost").pathname;
  } catch {
    return "/";
  }
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

function refuseMethod(response, allowed) {
  response.writeHead(405, { Allow: allowed.join(", "), "Cache-Control": "no-store", "Content-Type": "text/plain; charset=utf-8" });
  response.end("Method not allowed.");
}

/** Puts the method check in front of the server's own request handlers (Next.js's). */
function guardMethods(server) {
  const handlers = server.listeners("request");
  server.removeAllListeners("request");
  server.on("request", (request, response) => {
    const allowed = allowedMethods(request.url ?? "/");
    if (!allowed.includes(request.method ?? "")) return refuseMethod(response, allowed);
    for (const handler of handlers) handler.call(server, request, response);
  });
}

if (!globalThis.keycardPeerHeader) {
  // The client's address: Next.js exposes none to the app, and a client can
  // send its own X-Forwarded-For. The socket's peer address goes into a request
  // header whose name is random per process, so a client can neither guess nor
  // forge it (read by lib/http/peer-address.ts).
  const peerHeader = `x-keycard-peer-${randomBytes(8).toString("hex")}`;
  const guarded = new WeakSet();
  subscribe("http.server.request.start", ({ request, response, server }) => {
    const address = request.socket.remoteAddress;
    if (address) request.headers[peerHeader] = address;
    for (const [name, value] of STATIC_SECURITY_HEADERS) response.setHeader(name, value);
    // The message names the server: its handlers get the method check before this request reaches them.
    if (guarded.has(server)) return;
    guarded.add(server);
    guardMethods(server);
  });
  globalThis.keycardPeerHeader = peerHeader;
}
