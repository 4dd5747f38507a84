// The connection's peer address travels to the app in a request header that
// lib/server/request-hooks.mjs, preloaded before Next.js starts, adds to every
// request; its name is random per process, so a client cannot forge it.

const globalForPeer = globalThis as unknown as { keycardPeerHeader?: string };

export function getPeerHeader(): string | undefined {
  return globalForPeer.keycardPeerHeader;
}

/** Why this server cannot tell its clients apart, or null when it can. */
export function peerAddressProblem(): string | null {
  if (getPeerHeader()) return null;
  return [
    "keycard: started without lib/server/request-hooks.mjs, so no request would carry its client's address (throttling would lump every client together).",
    "Start the server with `npm start` (or `npm run dev`); the standalone server with `node --import ./lib/server/request-hooks.mjs server.js`.",
  ].join("\n");
}
