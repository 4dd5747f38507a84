// Node only (instrumentation.ts). Every security header (lib/security-headers.ts)
// goes on the response the moment Node hands the request over, before Next.js
// routes it, as a reverse proxy would add them: the static ones, and a
// Content-Security-Policy with a fresh nonce. Through Next.js instead
// (`headers()` in next.config.mjs, or middleware with a request-header override
// for the nonce) the same headers cost measurably more CPU per request
// (docs/performance.md). Answers Next.js writes later keep them: it sets its own
// headers, it does not clear ours; a redirect from middleware.ts replaces the
// policy with the strictest fixed one.
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { contentSecurityPolicy, createNonce, STATIC_SECURITY_HEADERS } from "./security-headers";

const globalForHeaders = globalThis as unknown as { keycardResponseHeaders?: boolean };

export function installSecurityHeaders(): void {
  if (globalForHeaders.keycardResponseHeaders) return;
  const dev = process.env.NODE_ENV === "development";
  subscribe("http.server.request.start", (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    for (const [name, value] of STATIC_SECURITY_HEADERS) response.setHeader(name, value);
    // Build assets are files, never rendered: no nonce to give them.
    if (request.url?.startsWith("/_next/static/")) return;
    const policy = contentSecurityPolicy(createNonce(), { dev });
    // Next.js reads the nonce from the request's policy header and puts it on
    // its own scripts. Setting it here also replaces any a client sent.
    request.headers["content-security-policy"] = policy;
    response.setHeader("Content-Security-Policy", policy);
  });
  globalForHeaders.keycardResponseHeaders = true;
}
