// Settings the main test server does not use, on a second production server of
// their own (same build, its own throwaway database): SIGNUP=closed, and
// TRUST_PROXY=0, where a client-sent X-Forwarded-For must count for nothing;
// and a database that is missing or broken, which /api/health must report
// (a SQLite file, or a PostgreSQL database, as the project runs).
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { databaseUrl, queryRows, removeDatabase } from "./database";
import { expect, newPostgresDatabase, onPostgres, sessionSetCookie, test } from "./fixtures";
import { runRefusedStart, startBareServer, startServer, type Server } from "./servers";

test.describe("a server with SIGNUP=closed and TRUST_PROXY=0", () => {
  test.describe.configure({ mode: "serial" });

  let server: Server;
  test.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(180_000);
    server = await startServer({ env: { SIGNUP: "closed", TRUST_PROXY: "0" } });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test("/signup says sign-up is closed and offers no form", async ({ page }) => {
    await page.goto(`${server.origin}/signup`);
    await expect(page.getByText("Sign-up is closed.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(0);
  });

  // The page hides the form, but the action is still there to be posted to.
  test("the sign-up action refuses a posted form", async ({ page, request }) => {
    const username = `new-${randomBytes(5).toString("hex")}`;
    const password = `Tidy-Otter-${randomBytes(6).toString("hex")}`;
    const answers: Array<{ status: number; body: string; setsCookie: boolean }> = [];
    // A real sign-up submission from the open main server's page, sent to the
    // closed server instead (same build, so the same action id), from its own origin.
    await page.route("**/signup", async (route) => {
      if (route.request().method() !== "POST") return route.fallback();
      const headers: Record<string, string> = { ...(await route.request().allHeaders()), origin: server.origin };
      delete headers["host"];
      const response = await route.fetch({ url: `${server.origin}/signup`, headers, maxRedirects: 0 });
      answers.push({ status: response.status(), body: await response.text(), setsCookie: sessionSetCookie(response) !== undefined });
      return route.fulfill({ response });
    });
    await page.goto("/signup");
    await page.getByLabel("Username", { exact: true }).fill(username);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Confirm password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByTestId("signup-message")).toHaveText("Sign-up is closed.");

    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ status: 200, setsCookie: false });
    expect(answers[0]?.body).toContain("Sign-up is closed.");
    // No account was made on the closed server.
    const signIn = await request.post(`${server.origin}/api/session`, { data: { username, password } });
    expect(signIn.status()).toBe(401);
  });

  test("a client-sent X-Forwarded-For is ignored: forging it does not escape the address throttle", async ({ request }) => {
    // Were the header believed, each attempt would be a new address with a single
    // failure, and none would ever be throttled. 20 failures are free per address
    // (fewer are left if an earlier test here failed a sign-in from 127.0.0.1 too).
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 21 && !statuses.includes(429); attempt++) {
      const response = await request.post(`${server.origin}/api/session`, {
        headers: { "X-Forwarded-For": `198.51.100.${attempt}` },
        data: { username: `victim-${attempt}`, password: "Summer2026!" },
      });
      statuses.push(response.status());
      if (response.status() === 429) expect(Number(response.headers()["retry-after"])).toBeGreaterThan(0);
    }
    expect(statuses.at(-1), `statuses: ${statuses.join(", ")}`).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
  });
});

/** Starts `next start` alone on DATABASE_URL `url`: /api/health must say 503 {"status":"unavailable"}. */
async function expectHealthUnavailable(url: string): Promise<void> {
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

test("GET /api/health answers 503 when the database file is missing or is not a database", async ({}, testInfo) => {
  test.skip(onPostgres(), "SQLite files; the next test is PostgreSQL's");
  testInfo.setTimeout(240_000);
  const directory = mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-"));
  const garbage = path.join(directory, "garbage.db");
  writeFileSync(garbage, "this is not a SQLite database, whatever its name says");
  try {
    for (const databasePath of [path.join(directory, "missing.db"), garbage]) await expectHealthUnavailable(`file:${databasePath}`);
    // A missing database is reported, not silently created empty.
    expect(existsSync(path.join(directory, "missing.db"))).toBe(false);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("GET /api/health answers 503 when the PostgreSQL database does not exist or has no tables", async ({}, testInfo) => {
  test.skip(!onPostgres(), "PostgreSQL databases; the test before is SQLite's");
  testInfo.setTimeout(240_000);
  const empty = newPostgresDatabase();
  const missing = new URL(databaseUrl(empty));
  missing.pathname = `${missing.pathname}_missing`;
  try {
    for (const url of [missing.toString(), databaseUrl(empty)]) await expectHealthUnavailable(url);
    // A missing database is reported, not created; an empty one is not migrated behind the operator's back.
    expect(() => queryRows({ provider: "postgresql", url: missing.toString() }, "SELECT 1")).toThrow(/does not exist/);
    expect(queryRows(empty, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).toEqual([]);
  } finally {
    removeDatabase(empty);
  }
});

test.describe("HOSTNAME", () => {
  // With TRUST_PROXY set, a client that reached the app port directly could name its own address.
  test("npm start listens only where HOSTNAME says", async ({ baseURL }, testInfo) => {
    testInfo.setTimeout(180_000);
    const reachable = async (url: string) => fetch(url).then(() => true, () => false);
    // 127.0.0.2 is this machine too: a server on every interface answers there (the main test server does).
    const mainPort = new URL(baseURL ?? "").port;
    expect(await reachable(`http://127.0.0.2:${mainPort}/api/health`)).toBe(true);

    const server = await startServer({ host: "127.0.0.1" });
    try {
      const port = new URL(server.origin).port;
      expect(await reachable(`http://127.0.0.1:${port}/api/health`)).toBe(true);
      expect(await reachable(`http://127.0.0.2:${port}/api/health`)).toBe(false);
    } finally {
      await server.stop();
    }
  });
});

test.describe("a bad setting", () => {
  // BCRYPT_WORKERS and SIGNUP used to be noticed late (the first sign-in) or never (a default taken instead).
  for (const [name, value, message] of [
    ["BCRYPT_WORKERS", "many", 'Keycard: BCRYPT_WORKERS must be an integer from 1 to 16 (got "many"), e.g. BCRYPT_WORKERS='],
    ["SIGNUP", "maybe", 'Keycard: SIGNUP must be "open" or "closed" (got "maybe"), e.g. SIGNUP=closed.'],
  ] as const) {
    test(`${name}=${value} stops npm start, naming the variable and a valid example, and nothing is served`, async ({}, testInfo) => {
      testInfo.setTimeout(180_000);
      const folder = mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-"));
      try {
        const refusal = await runRefusedStart({ env: { [name]: value }, folder });
        expect(refusal.code, refusal.output).toBe(1);
        expect(refusal.answered).toEqual([]);
        expect(refusal.output).toContain(message);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }
});
