// Node only (instrumentation.ts). Next.js exposes no client address to route
// handlers and server actions, and a client can send its own X-Forwarded-For.
// Node publishes every incoming request on a diagnostics channel before any
// handler runs; there we copy the socket's peer address into a header whose
// name is random per process. A client cannot guess the name, so cannot forge it.
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { privateHeaderName } from "./private-header";

const globalForPeer = globalThis as unknown as { keycardPeerHeader?: string };

export function installPeerAddressHeader(): void {
  if (globalForPeer.keycardPeerHeader) return;
  const header = privateHeaderName("peer");
  subscribe("http.server.request.start", (message) => {
    const { request } = message as { request: IncomingMessage };
    const address = request.socket.remoteAddress;
    if (address) request.headers[header] = address;
  });
  globalForPeer.keycardPeerHeader = header;
}

export function getPeerHeader(): string | undefined {
  return globalForPeer.keycardPeerHeader;
}
