// Node only (instrumentation.ts). The static security headers
// (lib/security-headers.ts) go on every response the moment Node hands the
// request over, before Next.js routes it, as a reverse proxy would add them.
// Through Next.js instead (`headers()` in next.config.mjs, or middleware), the
// same five headers cost about 3% of a redirect's CPU time; here they cost less
// (1.3% of a redirect's and 2% of a signed-in page's CPU saved, docs/performance.md).
// Answers Next.js writes later keep them: it sets its own headers, it does not
// clear ours.
import { subscribe } from "node:diagnostics_channel";
import type { ServerResponse } from "node:http";
import { STATIC_SECURITY_HEADERS } from "./security-headers";

const globalForHeaders = globalThis as unknown as { keycardStaticHeaders?: boolean };

export function installStaticSecurityHeaders(): void {
  if (globalForHeaders.keycardStaticHeaders) return;
  subscribe("http.server.request.start", (message) => {
    const { response } = message as { response: ServerResponse };
    for (const [name, value] of STATIC_SECURITY_HEADERS) response.setHeader(name, value);
  });
  globalForHeaders.keycardStaticHeaders = true;
}
