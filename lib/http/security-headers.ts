// The Content-Security-Policy, which middleware.ts puts on every answer it
// passes to a page or route, with a fresh nonce, and on redirects as the fixed
// REDIRECT_POLICY; and the Clear-Site-Data of a sign-out. The headers that are
// the same on every answer are set by lib/server/request-hooks.mjs.

/** Only on the answers that sign someone out (POST /sign-out, DELETE /api/session), never on a page a link can open. */
// "storage" is this origin's own ("cookies" would clear every app's cookies on the registrable domain; signed-in pages are no-store, so "cache" holds none of them).
export const CLEAR_SITE_DATA_ON_SIGN_OUT = '"storage"';

/** 128 random bits, base64: a script may run only if it carries this. */
export function createNonce(): string {
  return btoa(String.fromCharCode(...randomBytes16()));
}

// A call to crypto.getRandomValues costs about the same for 16 bytes as for 4 KB,
// and every page needs a nonce: draw them from a pool, each byte used once.
let pool = new Uint8Array(0);
let used = 0;

function randomBytes16(): Uint8Array {
  if (used + 16 > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(4096));
    used = 0;
  }
  used += 16;
  return pool.subarray(used - 16, used);
}

/**
 * For redirects: their body is empty and never rendered, so nothing may load,
 * run, frame or submit. The same string every time, where a page's policy needs
 * a fresh nonce.
 */
export const REDIRECT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function contentSecurityPolicy(nonce: string, { dev }: { dev: boolean }): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic' lets Next's nonced loader pull in its chunks; no inline
    // script runs without the nonce. React's dev build needs eval.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Next's dev overlay injects inline styles (and a nonce would disable 'unsafe-inline').
    dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}
