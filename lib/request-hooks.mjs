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

if (!globalThis.keycardPeerHeader) {
  // The client's address: Next.js exposes none to the app, and a client can
  // send its own X-Forwarded-For. The socket's peer address goes into a request
  // header whose name is random per process, so a client can neither guess nor
  // forge it (read by lib/peer-address.ts).
  const peerHeader = `x-keycard-peer-${randomBytes(8).toString("hex")}`;
  subscribe("http.server.request.start", ({ request, response }) => {
    const address = request.socket.remoteAddress;
    if (address) request.headers[peerHeader] = address;
    for (const [name, value] of STATIC_SECURITY_HEADERS) response.setHeader(name, value);
  });
  globalThis.keycardPeerHeader = peerHeader;
}
