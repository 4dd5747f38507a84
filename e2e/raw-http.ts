// Requests as neither a browser nor Playwright's client sends them: any method
// token, a body streamed in chunks without Content-Length, each on a connection
// of its own. For odd requests (e2e/fuzz-requests.spec.ts) and the first
// moments after start-up (e2e/startup.spec.ts).
import http from "node:http";
import { once } from "node:events";

export type RawRequest = {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body as Transfer-Encoding: chunked, without Content-Length. */
  chunked?: boolean;
};

export type RawAnswer = { status: number; headers: http.IncomingHttpHeaders; body: string };

const CHUNK_BYTES = 16 * 1024;

export async function sendRaw(origin: string, { method, path, headers = {}, body, chunked = false }: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  const request = http.request({
    // 127.0.0.1, not "localhost": the server sees the address it expects, never ::1.
    host: hostname === "localhost" ? "127.0.0.1" : hostname,
    port,
    method,
    path,
    // A connection of its own, kept open while the body goes out: a server may
    // answer before it has read the body (405, 413), and under "Connection:
    // close" it would close the socket under the client's remaining writes.
    agent: false,
    headers: { Connection: "keep-alive", ...headers },
  });
  // A broken connection before the answer rejects `answered`; after it, the answer stands.
  request.on("error", () => undefined);
  const sent = once(request, "finish").catch(() => undefined);
  const answered = once(request, "response") as Promise<[http.IncomingMessage]>;
  if (body !== undefined) {
    const bytes = Buffer.from(body);
    // Said outright: Node's client frames GET, DELETE, OPTIONS and TRACE bodies only when told.
    request.setHeader(chunked ? "Transfer-Encoding" : "Content-Length", chunked ? "chunked" : bytes.length);
    for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) request.write(bytes.subarray(offset, offset + CHUNK_BYTES));
  }
  request.end();
  try {
    const [response] = await answered;
    let text = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => (text += chunk));
    response.on("error", () => undefined);
    await Promise.all([new Promise((resolve) => response.once("close", resolve)), sent]);
    return { status: response.statusCode ?? 0, headers: response.headers, body: text };
  } finally {
    request.destroy();
  }
}
