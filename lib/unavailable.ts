// Placeholder until the faults work lands: classification and 503 answers.
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|IOERR|CORRUPT|NOTADB|FULL|PERM)/.test(code);
}

const MESSAGE = "Service unavailable, try again shortly";
const headers = { "Cache-Control": "no-store", "Retry-After": "5" };

export function serviceUnavailablePage(): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${MESSAGE}</title></head><body><h1>${MESSAGE}</h1></body></html>`;
  return new Response(html, { status: 503, headers: { ...headers, "Content-Type": "text/html; charset=utf-8" } });
}

export function serviceUnavailableJson(): Response {
  return Response.json({ error: MESSAGE }, { status: 503, headers });
}
