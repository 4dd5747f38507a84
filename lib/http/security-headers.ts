// The headers Keycard sets itself: the strict Content-Security-Policy of
// middleware's redirects and the Clear-Site-Data of a sign-out. Every other
// answer gets its policy (with a fresh nonce) and the static security headers
// from lib/server/request-hooks.mjs as the request arrives.

/** Only on the answers that sign someone out (POST /sign-out, DELETE /api/session), never on a page a link can open. */
// "storage" is this origin's own ("cookies" would clear every app's cookies on the registrable domain; signed-in pages are no-store, so "cache" holds none of them).
export const CLEAR_SITE_DATA_ON_SIGN_OUT = '"storage"';

/**
 * For redirects: their body is empty and never rendered, so nothing may load,
 * run, frame or submit. The same string every time, where a page's policy needs
 * a fresh nonce.
 */
export const REDIRECT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
