// Settings the main test server does not use, on a second production server of
// their own (same build, its own throwaway database): SIGNUP=closed, and
// TRUST_PROXY=0, where a client-sent X-Forwarded-For must count for nothing;
// HOSTNAME; and settings npm start refuses. (A database that is missing or
// broken, which /api/health must report: faults.spec.ts, faults-postgres.spec.ts.)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, sessionSetCookie, test } from "./fixtures";
import { runRefusedStart, startServer, type Server } from "./servers";

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
