// Helpers for route handlers that take input from any client, hostile ones included.

export const MAX_BODY_BYTES = 4 * 1024;

export type BodyResult =
  | { ok: true; value: unknown }
  | { ok: false; status: 400 | 413 | 415; error: string };

/** Reads a JSON or form-urlencoded body of at most MAX_BODY_BYTES. */
export async function readBody(request: Request): Promise<BodyResult> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== "application/json" && type !== "application/x-www-form-urlencoded") {
    return { ok: false, status: 415, error: "Send application/json or application/x-www-form-urlencoded." };
  }
  const text = await readTextWithLimit(request, MAX_BODY_BYTES);
  if (text === null) return { ok: false, status: 413, error: "Request body too large." };
  if (type === "application/x-www-form-urlencoded") {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, error: "Malformed JSON." };
  }
}

/** The body as text, or null once it passes `limit` bytes (without buffering the rest). */
async function readTextWithLimit(request: Request, limit: number): Promise<string | null> {
  const body = await readBytesWithLimit(request, limit);
  return body === null ? null : new TextDecoder().decode(body);
}

/**
 * The body's bytes, or null once it passes `limit` (without buffering the rest).
 * Counted as they arrive: a chunked body declares no length.
 */
export async function readBytesWithLimit(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: cancelling a clone's body settles only once the original's is cancelled too.
      reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
