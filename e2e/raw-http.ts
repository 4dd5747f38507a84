// Requests as neither a browser nor Playwright's client sends them: any method
// token, a body streamed in chunks without Content-Length, each on a connection
// of its own. For odd requests (e2e/fuzz.spec.ts) and the first moments after
// start-up (e2e/startup.spec.ts).
import http from "node:http";

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

export function sendRaw(origin: string, { method, path, headers = {}, body, chunked = false }: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(
      // 127.0.0.1, not "localhost": the server sees the address it expects, never ::1.
      { host: hostname === "localhost" ? "127.0.0.1" : hostname, port, method, path, headers, agent: false },
      (response) => {
        answered = true;
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
        response.on("error", reject);
      },
    );
    // A server may answer (413, 405) and close before the whole body is sent:
    // the answer counts, the broken write does not.
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    if (body === undefined) {
      request.end();
      return;
    }
    const bytes = Buffer.from(body);
    if (!chunked) request.setHeader("Content-Length", bytes.length);
    for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) request.write(bytes.subarray(offset, offset + CHUNK_BYTES));
    request.end();
  });
}
