// JSON answers of the API's route handlers: never cached, by any cache.

export function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

export const crossSiteRefused = (): Response => jsonResponse({ error: "Cross-site request refused" }, 403);

/** 429 with Retry-After: throttled, a message saying how long to wait. */
export const tooManyRequests = (message: string, retryAfterSeconds: number): Response =>
  jsonResponse({ error: message }, 429, { "Retry-After": String(retryAfterSeconds) });
