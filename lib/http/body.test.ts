import { describe, expect, it } from "vitest";

import { MAX_BODY_BYTES, readBody } from "./body";

const URL_ = "https://app.example/api/session";
const JSON_TYPE = { "content-type": "application/json" };

function post(headers: Record<string, string>, body?: BodyInit): Request {
  return new Request(URL_, { method: "POST", headers, ...(body === undefined ? {} : { body }) });
}

/** A body with no Content-Length, as a chunked upload arrives. */
function streamed(chunks: Uint8Array[], headers: Record<string, string> = JSON_TYPE): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Request(URL_, { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

/** A JSON document of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  const frame = '{"username":""}';
  return `{"username":"${"a".repeat(bytes - frame.length)}"}`;
}

describe("readBody", () => {
  it("parses JSON (with or without a charset)", async () => {
    const body = JSON.stringify({ username: "alice", password: "secret" });
    expect(await readBody(post(JSON_TYPE, body))).toEqual({ ok: true, value: { username: "alice", password: "secret" } });
    expect(await readBody(post({ "content-type": "Application/JSON; charset=utf-8" }, body))).toEqual({
      ok: true,
      value: { username: "alice", password: "secret" },
    });
  });

  it("parses a form-urlencoded body", async () => {
    const request = post({ "content-type": "application/x-www-form-urlencoded" }, "username=alice&password=p%40ss+word");
    expect(await readBody(request)).toEqual({ ok: true, value: { username: "alice", password: "p@ss word" } });
  });

  it("answers 400 for malformed or empty JSON", async () => {
    for (const body of ['{"username":', "", "{'a':1}"]) {
      const result = await readBody(post(JSON_TYPE, body));
      expect(result, JSON.stringify(body)).toMatchObject({ ok: false, status: 400 });
    }
  });

  it("answers 415 without a content type or with another one", async () => {
    // A Uint8Array body gets no implicit Content-Type (a string would get text/plain).
    const bytes = new TextEncoder().encode('{"username":"alice"}');
    expect(await readBody(post({}, bytes))).toMatchObject({ ok: false, status: 415 });
    // text/plain and multipart are what a cross-site HTML form can send without a preflight.
    for (const type of ["text/plain", "multipart/form-data; boundary=x", "application/jsonx"]) {
      expect(await readBody(post({ "content-type": type }, bytes)), type).toMatchObject({ ok: false, status: 415 });
    }
  });

  it(`accepts exactly ${MAX_BODY_BYTES} bytes, with or without Content-Length`, async () => {
    const body = jsonOfSize(MAX_BODY_BYTES);
    expect(new TextEncoder().encode(body).length).toBe(4096);
    expect(await readBody(post({ ...JSON_TYPE, "content-length": "4096" }, body))).toMatchObject({ ok: true });
    expect(await readBody(streamed([new TextEncoder().encode(body)]))).toMatchObject({ ok: true });
  });

  it("answers 413 for one byte more, declared in Content-Length", async () => {
    const body = jsonOfSize(MAX_BODY_BYTES + 1);
    expect(await readBody(post({ ...JSON_TYPE, "content-length": "4097" }, body))).toMatchObject({
      ok: false,
      status: 413,
    });
  });

  it("answers 413 on an oversized Content-Length before any of the body arrives", { timeout: 5000 }, async () => {
    // WHY: a client that declares a huge body and trickles it must not hold the handler.
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => {}) });
    const request = new Request(URL_, {
      method: "POST",
      headers: { ...JSON_TYPE, "content-length": "10000000" },
      body: stalled,
      duplex: "half",
    } as RequestInit);
    expect(await readBody(request)).toMatchObject({ ok: false, status: 413 });
  });

  it("answers 413 for a chunked body without Content-Length", async () => {
    const chunk = new TextEncoder().encode("a".repeat(1024));
    expect(await readBody(streamed([chunk, chunk, chunk, chunk, new Uint8Array(1)]))).toMatchObject({
      ok: false,
      status: 413,
    });
  });

  it("answers 413 when Content-Length understates the body", async () => {
    const request = post({ ...JSON_TYPE, "content-length": "10" }, jsonOfSize(MAX_BODY_BYTES + 1));
    expect(await readBody(request)).toMatchObject({ ok: false, status: 413 });
  });

  it("stops reading an endless upload instead of buffering it", { timeout: 5000 }, async () => {
    // WHY: a reader that waits for the end would hang here (and the test time out).
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024).fill(0x61));
      },
    });
    const request = new Request(URL_, { method: "POST", headers: JSON_TYPE, body, duplex: "half" } as RequestInit);
    expect(await readBody(request)).toMatchObject({ ok: false, status: 413 });
    expect(pulled).toBeLessThan(10);
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = new TextEncoder().encode('{"username":"é"}');
    const split = bytes.indexOf(0xc3) + 1;
    const result = await readBody(streamed([bytes.slice(0, split), bytes.slice(split)]));
    expect(result).toEqual({ ok: true, value: { username: "é" } });
  });
});
