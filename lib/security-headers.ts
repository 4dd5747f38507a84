// Response headers that harden every page (OWASP ASVS 5 V3.4). Edge-safe: the
// Content-Security-Policy needs a fresh nonce per request, so middleware.ts sets
// it; the static ones are in next.config.mjs.

/** 128 random bits, base64: a script may run only if it carries this. */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

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
