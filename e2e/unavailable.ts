// What a client must get while the database cannot be used, whichever it is
// (e2e/faults.spec.ts for SQLite, e2e/faults-postgres.spec.ts for PostgreSQL):
// 503 with Retry-After and no-store, a short sentence, nothing of the error.
import type { APIResponse } from "@playwright/test";
import { expect, expectNoLeak } from "./fixtures";
import { startBareServer } from "./servers";

export const UNAVAILABLE = "Service unavailable, try again shortly";

/** The JSON API's answer: 503 {"error": "Service unavailable, try again shortly"}. */
export async function expectUnavailableJson(response: APIResponse): Promise<void> {
  const body = await response.text();
  expectNoLeak(body);
  expect(response.status(), body).toBe(503);
  expect(Number(response.headers()["retry-after"])).toBeGreaterThan(0);
  expect(response.headers()["cache-control"]).toContain("no-store");
  expect(JSON.parse(body)).toEqual({ error: UNAVAILABLE });
}

/** A page's answer: the 503 page (lib/http/service-unavailable.ts). */
export async function expectUnavailablePage(response: APIResponse): Promise<void> {
  const body = await response.text();
  expectNoLeak(body);
  expect(response.status(), body.slice(0, 500)).toBe(503);
  expect(Number(response.headers()["retry-after"])).toBeGreaterThan(0);
  expect(response.headers()["content-type"]).toBe("text/html; charset=utf-8");
  expect(body).toContain(`${UNAVAILABLE}.`);
}

/** Starts `next start` alone on DATABASE_URL `url`: /api/health must say 503 {"status":"unavailable"}. */
export async function expectHealthUnavailable(url: string): Promise<void> {
  const server = await startBareServer(url);
  try {
    const health = () => fetch(`${server.origin}/api/health`).then((response) => response.status, () => 0);
    await expect.poll(health, { timeout: 90_000, intervals: [100, 250, 500] }).toBe(503);
    const response = await fetch(`${server.origin}/api/health`);
    expect(response.headers.get("cache-control")).toContain("no-store");
    expect(await response.json()).toEqual({ status: "unavailable" });
  } finally {
    await server.stop();
  }
}
