// Middleware checks the session cookie once per request (lib/session-lookup.ts)
// and hands the answer to the page, action or route, so the page neither opens
// the seal nor queries the database again.
//
// The answer stays in this process's memory, in a slot per request: the moment
// Node hands over a request that carries a session cookie (instrumentation.ts),
// it gets a slot number in a private request header (lib/private-header.ts).
// Middleware files its check under that number; the page reads it back. A
// request-header override from middleware would carry it too, at measurably
// more CPU per request; so would an AsyncLocalStorage, on every request,
// cookie or not (docs/performance.md).
//
// The page uses a check only for the very cookie it holds: a cookie set since
// (signing in within a server action), a request that never passed middleware
// (CVE-2025-29927) or a slot number a client made up gets no handoff, and the
// page checks the cookie itself (lib/dal.ts).
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { privateHeaderName } from "./private-header";
import type { CookieCheck } from "./session-lookup";

type Checked = { cookie: string; check: CookieCheck };
type Handoff = { header: string; slots: Map<string, Checked> };

// Far more than the requests in flight at once; the oldest slot goes first.
export const MAX_SLOTS = 1024;

// On globalThis: instrumentation, middleware and the app are separate bundles in one process.
const globalForHandoff = globalThis as unknown as { keycardHandoff?: Handoff };

/** Node only: numbers a slot for each request that carries `cookieName`. */
export function installSessionHandoff(cookieName: string): void {
  if (globalForHandoff.keycardHandoff) return;
  const handoff: Handoff = { header: privateHeaderName("slot"), slots: new Map() };
  const carriesSession = `${cookieName}=`;
  let count = 0;
  subscribe("http.server.request.start", (message) => {
    const { request } = message as { request: IncomingMessage };
    if (request.headers.cookie?.includes(carriesSession)) request.headers[handoff.header] = String(++count);
  });
  globalForHandoff.keycardHandoff = handoff;
}

/** Middleware: the check it made of this request's session cookie. */
export function handOver(requestHeaders: Pick<Headers, "get">, cookie: string, check: CookieCheck): void {
  const handoff = globalForHandoff.keycardHandoff;
  const slot = handoff && requestHeaders.get(handoff.header);
  if (!slot) return;
  handoff.slots.set(slot, { cookie, check });
  if (handoff.slots.size > MAX_SLOTS) handoff.slots.delete(handoff.slots.keys().next().value!);
}

/** The check middleware made of this very cookie in this request, or null. */
export function takeHandoff(requestHeaders: Pick<Headers, "get">, cookie: string | undefined): CookieCheck | null {
  const handoff = globalForHandoff.keycardHandoff;
  const slot = handoff && cookie !== undefined && requestHeaders.get(handoff.header);
  if (!slot) return null;
  const checked = handoff.slots.get(slot);
  return checked?.cookie === cookie ? checked.check : null;
}
