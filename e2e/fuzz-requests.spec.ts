// Odd requests, against a production server of its own whose output the tests
// read: any method (TRACE, PUT, OPTIONS, tokens no one defined), any path
// (pages, the API, static files, the image endpoint, nothing at all), bodies of
// every encoding (JSON, urlencoded, multipart, garbage), sent with a length or
// chunked, around and far over the limits. Whatever comes in: a 4xx rather than
// a 5xx, 405 with the methods the path takes, and not a line of stack trace in
// the server's output. Case count and seed: test/fuzz.ts.
import fc from "fast-check";
import http from "node:http";
import { MAX_FORM_BYTES } from "../lib/http/form-post";
import { MAX_BODY_BYTES } from "../lib/http/body";
import { fuzzParameters, fuzzSettings } from "../test/fuzz";
import { noJsFormData, serverActionInputs } from "../test/no-js-form";
import { expect, expectNoLeak, test } from "./fixtures";
import { sendRaw, type RawAnswer, type RawRequest } from "./raw-http";
import { startServer, type Server } from "./servers";

const RUNS = 40;
const runs = fuzzSettings(RUNS).numRuns;

test.describe.configure({ mode: "serial" });

let server: Server;
/** A build asset the sign-in page links. */
let script = "";

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(180_000);
  server = await startServer();
  const login = await sendRaw(server.origin, { method: "GET", path: "/login" });
  script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(login.body)?.[1] ?? "";
  expect(script, "a script from /_next/static on /login").not.toBe("");
});
test.afterAll(async () => {
  await server?.stop();
});

// ---- Inputs -------------------------------------------------------------------

const METHODS = fc.oneof(
  { arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"), weight: 4 },
  { arbitrary: fc.constantFrom(...http.METHODS.filter((method) => method !== "CONNECT")), weight: 2 },
  // Tokens Node's parser does not know: it answers 400 itself.
  { arbitrary: fc.constantFrom("FOO", "get", "BREW", "X-KEYCARD"), weight: 1 },
);

/** Paths of every kind; `script` (a real build asset) is only known once the server runs. */
const paths = () =>
  fc.oneof(
    fc.constantFrom("/", "/login", "/signup", "/dashboard", "/account", "/protected", "/sign-out", "/api/session", "/api/health", "/api/nope"),
    fc.constantFrom("/keycard.css", "/favicon.ico", "/icon.svg", script, "/_next/static/chunks/nope.js", "/_next/image?url=%2Fdashboard&w=64&q=75", "/_next/image"),
    fc.tuple(fc.constantFrom("/", "/api/", "/_next/", "/_next/static/", "/login/"), fc.stringMatching(/^[a-z0-9._~%-]{0,12}$/)).map(([prefix, rest]) => prefix + rest),
  );

type BodyKind = "json" | "urlencoded" | "multipart" | "garbage";
const CONTENT_TYPES: Record<BodyKind, string> = {
  json: "application/json",
  urlencoded: "application/x-www-form-urlencoded",
  multipart: "multipart/form-data; boundary=fuzzboundary",
  garbage: "application/octet-stream",
};

/** Around each limit (the JSON API's, the forms', Next.js's 1 MB for actions) and far over them. */
const SIZES = [0, 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, MAX_FORM_BYTES, MAX_FORM_BYTES + 1, 1024 * 1024 + 1, 1_500_000];

function bodyOf(kind: BodyKind, size: number, fill: number): Buffer {
  const pad = (length: number) => "x".repeat(Math.max(0, length));
  if (kind === "json") return Buffer.from(`{"username":"fz","password":"${pad(size - 30)}"}`);
  if (kind === "urlencoded") return Buffer.from(`username=fz&password=${pad(size - 21)}`);
  if (kind === "multipart") {
    const head = '--fuzzboundary\r\nContent-Disposition: form-data; name="password"\r\n\r\n';
    return Buffer.from(`${head}${pad(size - head.length - 20)}\r\n--fuzzboundary--\r\n`);
  }
  return Buffer.alloc(size, fill);
}

const bodies = fc.option(
  fc.record({
    kind: fc.constantFrom<BodyKind>("json", "urlencoded", "multipart", "garbage"),
    size: fc.constantFrom(...SIZES),
    fill: fc.integer({ min: 0, max: 255 }),
    chunked: fc.boolean(),
    // The body's own type, or another one.
    typeOf: fc.constantFrom<BodyKind | "none">("json", "urlencoded", "multipart", "garbage", "none"),
  }),
);

/** The sign-in form as a browser without JavaScript posts it: the body and its multipart type. */
async function signInFormPost(password: string): Promise<{ headers: Record<string, string>; body: Buffer }> {
  const page = await sendRaw(server.origin, { method: "GET", path: "/login" });
  const encoded = new Response(noJsFormData(serverActionInputs(page.body), [["username", "someone"], ["password", password]]));
  return { headers: { "Content-Type": encoded.headers.get("content-type") ?? "" }, body: Buffer.from(await encoded.arrayBuffer()) };
}

// ---- Answers ------------------------------------------------------------------

/** Sends `request` and checks what any answer must be; returns it, or null when Node refused the method by closing. */
async function sendOdd(request: RawRequest): Promise<RawAnswer | null> {
  const printed = server.output().length;
  let answer: RawAnswer;
  try {
    answer = await sendRaw(server.origin, request);
  } catch (error) {
    // A method Node's parser does not know: it answers 400 and closes, maybe before the client reads it.
    const code = (error as NodeJS.ErrnoException).code;
    if (!http.METHODS.includes(request.method) && (code === "ECONNRESET" || code === "EPIPE")) return null;
    throw new Error(`${request.method} ${request.path}: ${String(error)}; the server printed\n${server.output().slice(-3000)}`);
  }
  const label = `${request.method} ${request.path} (${request.body?.length ?? 0} bytes${request.chunked ? ", chunked" : ""}) → ${answer.status}`;
  expect(answer.status, label).toBeLessThan(500);
  if (answer.status === 405) {
    const allow = answer.headers["allow"] ?? "";
    expect(allow, `${label}: Allow`).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
    expect(allow.split(", "), `${label}: Allow`).not.toContain(request.method);
  }
  // Node itself answers a method it cannot parse with a bare 400; every other answer is the app's.
  if (http.METHODS.includes(request.method)) expect(answer.headers["x-content-type-options"], `${label}: nosniff`).toBe("nosniff");
  expectNoStackTrace(server.output().slice(printed), label);
  return answer;
}

function expectNoStackTrace(output: string, label: string): void {
  try {
    expectNoLeak(output);
    // Next.js marks the errors it logs with ⨯.
    expect(output).not.toContain("⨯");
  } catch (error) {
    throw new Error(`${label}: the server printed\n${output.slice(0, 2000)}`, { cause: error });
  }
}

// ---- Tests --------------------------------------------------------------------

// Next.js 16.4 answered each of these with a 500 or a stack trace in the log, or
// both (TRACE); lib/server/request-hooks.mjs, lib/http/form-post.ts and the image setting in
// next.config.mjs now answer them with a 4xx, and print nothing.
test("what used to be a 500 is a 4xx, with Allow where the method is wrong, and nothing in the log", async () => {
  const cases: Array<{ request: RawRequest; status: number; allow?: string }> = [
    ...["/login", "/api/session", "/api/health", "/sign-out", "/no-such-page"].map((path) => ({
      request: { method: "TRACE", path },
      status: 405,
      allow: path === "/api/session" ? "GET, HEAD, POST, DELETE" : path === "/api/health" ? "GET, HEAD" : path === "/sign-out" ? "POST" : "GET, HEAD, POST",
    })),
    ...["TRACE", "PUT", "POST", "OPTIONS", "DELETE", "PROPFIND"].flatMap((method) =>
      ["/keycard.css", script, "/icon.svg", "/_next/image?url=%2Fkeycard.css&w=64&q=75"].map((path) => ({ request: { method, path }, status: 405, allow: "GET, HEAD" })),
    ),
    { request: { method: "PUT", path: "/login" }, status: 405, allow: "GET, HEAD, POST" },
    { request: { method: "PATCH", path: "/api/health" }, status: 405, allow: "GET, HEAD" },
    { request: { method: "GET", path: "/_next/image?url=%2Fdashboard&w=64&q=75" }, status: 404 },
    // Taken by Next.js for a server action's: "Invalid Server Actions request" and a stack trace, per
    // request; and where no page answers, a body that is not multipart was a 500 as well.
    ...["/login", "/api/nope"].flatMap((path) => [
      { request: { method: "POST", path, headers: { "Content-Type": CONTENT_TYPES.multipart }, body: bodyOf("multipart", 200, 0) }, status: 400 },
      { request: { method: "POST", path, headers: { "Content-Type": CONTENT_TYPES.multipart }, body: bodyOf("json", 200, 0) }, status: 400 },
    ]),
    // The sign-in form's action over 1 MB without Content-Length: "Body exceeded 1 MB limit", a 500.
    { request: { method: "POST", path: "/login", ...(await signInFormPost("x".repeat(1_100_000))), chunked: true }, status: 413 },
    ...["application/x-www-form-urlencoded", "text/plain;charset=UTF-8"].map((type) => ({
      request: { method: "POST", path: "/login", headers: { "Content-Type": type }, body: Buffer.alloc(1_100_000, "a"), chunked: true },
      status: 413,
    })),
  ];
  for (const { request, status, allow } of cases) {
    const answer = await sendOdd(request);
    const label = `${request.method} ${request.path}`;
    expect(answer?.status, label).toBe(status);
    if (allow !== undefined) expect(answer?.headers["allow"], label).toBe(allow);
  }
  expectNoStackTrace(server.output(), "all of them");
});

test("any method, path and body: a 4xx or an answer, 405 with Allow, and not a line of stack trace", async ({}, testInfo) => {
  testInfo.setTimeout(60_000 + runs * 1_000);
  const cases = fc.record({ method: METHODS, path: paths(), body: bodies });
  await fc.assert(
    fc.asyncProperty(cases, async ({ method, path, body }) => {
      const request: RawRequest = { method, path };
      if (body) {
        request.body = bodyOf(body.kind, body.size, body.fill);
        request.chunked = body.chunked;
        if (body.typeOf !== "none") request.headers = { "Content-Type": CONTENT_TYPES[body.typeOf] };
      }
      const answer = await sendOdd(request);
      if (method === "TRACE") expect(answer?.status, `TRACE ${path}`).toBe(405);
    }),
    fuzzParameters(RUNS),
  );
  expectNoStackTrace(server.output(), "the whole run");
});
