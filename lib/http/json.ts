// JSON answers of the API's route handlers: never cached, by any cache.

export function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

export const crossSiteRefused = (): Response => jsonResponse({ error: "Cross-site request refused" }, 403);
