import { describe, expect, it } from "vitest";

import { isCrossSiteRequest, isStateChanging } from "./origin";

function post(headers: Record<string, string>): Request {
  return new Request("https://app.example/api/session", { method: "POST", headers });
}

describe("isCrossSiteRequest", () => {
  const from = (headers: Record<string, string>) => isCrossSiteRequest(post({ host: "app.example", ...headers }));

  it("allows requests without Origin (curl, scripts)", () => {
    expect(from({})).toBe(false);
    expect(from({ "sec-fetch-site": "same-origin" })).toBe(false);
    expect(from({ "sec-fetch-site": "none" })).toBe(false);
  });

  it("allows the same host", () => {
    expect(from({ origin: "https://app.example" })).toBe(false);
    expect(isCrossSiteRequest(post({ host: "localhost:3000", origin: "http://localhost:3000" }))).toBe(false);
  });

  it("allows the public host behind a proxy that sets X-Forwarded-Host", () => {
    const request = post({ host: "127.0.0.1:3000", "x-forwarded-host": "app.example", origin: "https://app.example" });
    expect(isCrossSiteRequest(request)).toBe(false);
  });

  it.each([
    "https://evil.example",
    "https://evil.app.example",
    "https://app.example.evil.example",
    "https://app.example:8443",
  ])("refuses Origin %s", (origin) => {
    expect(from({ origin })).toBe(true);
  });

  it('refuses Origin "null" (sandboxed frames) and garbage', () => {
    expect(from({ origin: "null" })).toBe(true);
    expect(from({ origin: "not a url" })).toBe(true);
  });

  it("refuses a cross-site fetch that carries no Origin", () => {
    expect(from({ "sec-fetch-site": "cross-site" })).toBe(true);
  });
});

describe("isStateChanging", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE"])("counts %s", (method) => {
    expect(isStateChanging(method)).toBe(true);
  });

  it.each(["GET", "HEAD", "OPTIONS"])("does not count %s", (method) => {
    expect(isStateChanging(method)).toBe(false);
  });
});
