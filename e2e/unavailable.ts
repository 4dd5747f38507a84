// What a client must get while the database cannot be used, whichever it is
// (e2e/faults.spec.ts for SQLite, e2e/faults-postgres.spec.ts for PostgreSQL):
// 503 with Retry-After and no-store, a short sentence, nothing of the error.
import type { APIResponse } from "@playwright/test";
import { expect, expectNoLeak } from "./fixtures";

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
