// CSRF defence for every state-changing request (OWASP ASVS 5 V3.5):
// middleware.ts uses it for all of them, route handlers again for their own.

/**
 * A browser names the page that sent a request in `Origin`. When that is another
 * site, the request is forged (CSRF) whatever cookies it carries. Requests
 * without `Origin` come from non-browser clients (curl, scripts) and are allowed
 * unless the browser's Sec-Fetch-Site says cross-site. The comparison is with
 * the Host the request was sent to, as Next.js does for server actions, so it
 * holds behind a proxy that preserves Host.
 */
export function isCrossSiteRequest(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return request.headers.get("sec-fetch-site") === "cross-site";
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true; // "null" (sandboxed frames, some redirects) and garbage.
  }
}

export function isStateChanging(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}
