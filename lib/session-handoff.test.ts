// The handoff on a real Node HTTP server: each request's slot is its own, even
// on a kept-alive connection and under concurrency, and it answers only for the
// cookie that was checked.
import { Agent, createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handOver, installSessionHandoff, MAX_SLOTS, takeHandoff } from "./session-handoff";
import type { CookieCheck } from "./session-lookup";

const COOKIE = "keycard_session";
const rejected = (claimedUserId: number): CookieCheck => ({ ok: false, rejected: "revoked", claimedUserId });
const sessionOf = (cookieHeader: string | undefined) => /keycard_session=([^;]*)/.exec(cookieHeader ?? "")?.[1];

let server: Server;
let port: number;

beforeAll(async () => {
  installSessionHandoff(COOKIE);
  // /check?as=N: "middleware" hands over a check of the request's cookie, then
  // the "page" reads it back after some async work. /peek: the page alone.
  // ?ask=X: the page holds cookie X instead (one set since, by an action).
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const headers = new Headers(req.headers as Record<string, string>);
    const cookie = sessionOf(req.headers.cookie);
    const wait = Number(url.searchParams.get("wait") ?? 0);
    if (url.pathname === "/check" && cookie !== undefined) {
      await sleep(wait);
      handOver(headers, cookie, rejected(Number(url.searchParams.get("as"))));
    }
    await sleep(wait);
    res.end(JSON.stringify(takeHandoff(headers, url.searchParams.get("ask") ?? cookie)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(path: string, headers: Record<string, string>, agent?: Agent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: "127.0.0.1", path, headers, ...(agent ? { agent } : {}) }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk));
      res.on("end", () => resolve(JSON.parse(body)));
    });
    req.on("error", reject);
    req.end();
  });
}

const internals = () =>
  (globalThis as unknown as { keycardHandoff: { header: string; slots: Map<string, unknown> } }).keycardHandoff;
const withCookie = (value: string) => ({ cookie: `theme=dark; ${COOKIE}=${value}` });

describe("session handoff", () => {
  it("hands the page the check middleware made in the same request", async () => {
    expect(await get("/check?as=7", withCookie("a"))).toEqual(rejected(7));
  });

  it("gives nothing for another cookie than the one checked (one set since, by a server action)", async () => {
    expect(await get("/check?as=7&ask=b", withCookie("a"))).toBeNull();
  });

  it("gives nothing to a request that did not pass middleware", async () => {
    expect(await get("/peek", withCookie("a"))).toBeNull();
  });

  it("does not carry one request's check into the next on a kept-alive connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get("/check?as=7", withCookie("a"), agent)).toEqual(rejected(7));
      expect(await get("/peek", withCookie("a"), agent)).toBeNull();
    } finally {
      agent.destroy();
    }
  });

  it("keeps concurrent requests' checks apart", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(`/check?as=${i}&wait=${(i * 7) % 5}`, withCookie("same"))),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => rejected(i)));
  });

  it("ignores a slot number a client sends: a request with a session cookie gets its own", async () => {
    // Slot 1 holds the check of cookie "a" from the first test in this file.
    const forged = { [internals().header]: "1" };
    expect(await get("/peek", { ...forged, ...withCookie("a") })).toBeNull();
    expect(await get("/peek", { ...forged, ...withCookie("b") })).toBeNull();
  });

  it(`keeps at most ${MAX_SLOTS} checks, dropping the oldest`, () => {
    const { header: name, slots } = internals();
    for (let i = 0; i < MAX_SLOTS + 10; i++) handOver(new Headers({ [name]: `x${i}` }), "c", rejected(i));
    expect(slots.size).toBe(MAX_SLOTS);
    expect(takeHandoff(new Headers({ [name]: "x0" }), "c")).toBeNull();
    expect(takeHandoff(new Headers({ [name]: `x${MAX_SLOTS + 9}` }), "c")).toEqual(rejected(MAX_SLOTS + 9));
  });

  it("does nothing for a request without a slot", () => {
    handOver(new Headers(), "a", rejected(1));
    expect(takeHandoff(new Headers(), "a")).toBeNull();
  });
});
