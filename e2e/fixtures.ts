// Shared test helpers: a fresh user per test, written straight into the
// throwaway database the server under test uses (playwright.config.ts).
import { test as base, expect, type APIResponse, type Page } from "@playwright/test";
import bcrypt from "bcryptjs";
import Database from "better-sqlite3";
import { sealData } from "iron-session";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export type TestUser = { username: string; password: string };

/** The production cookie name: `next start` turns Secure cookies on. */
export const SESSION_COOKIE = "__Host-keycard_session";

export function databasePath(): string {
  const file = process.env.E2E_DATABASE_PATH;
  if (!file) throw new Error("E2E_DATABASE_PATH is not set: run the tests through playwright.config.ts.");
  return file;
}

function openDatabase(): Database.Database {
  const db = new Database(databasePath());
  db.pragma("busy_timeout = 5000");
  return db;
}

export function createUser(prefix = "user"): TestUser {
  const username = `${prefix}-${randomBytes(5).toString("hex")}`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const db = openDatabase();
  try {
    db.prepare('INSERT INTO "User" (username, passwordHash, updatedAt) VALUES (?, ?, ?)').run(
      username,
      bcrypt.hashSync(password, 10),
      new Date().toISOString(),
    );
  } finally {
    db.close();
  }
  return { username, password };
}

export function userIdOf(username: string): number {
  const db = openDatabase();
  try {
    const row = db.prepare('SELECT id FROM "User" WHERE username = ?').get(username) as { id: number } | undefined;
    if (!row) throw new Error(`No user ${username} in the test database.`);
    return row.id;
  } finally {
    db.close();
  }
}

/**
 * Seals session data exactly as the server does, with the server's secret
 * (the runner shares it through E2E_SESSION_SECRET). `sealedAt` moves the
 * clock iron-session reads, so an expired seal needs no waiting.
 */
export async function sealSession(
  data: { userId: number; username: string },
  { ttlSeconds, sealedAt }: { ttlSeconds: number; sealedAt?: number },
): Promise<string> {
  const password = process.env.E2E_SESSION_SECRET;
  if (!password) throw new Error("E2E_SESSION_SECRET is not set: run the tests through playwright.config.ts.");
  const realNow = Date.now;
  if (sealedAt !== undefined) Date.now = () => sealedAt;
  try {
    return await sealData(data, { password, ttl: ttlSeconds });
  } finally {
    Date.now = realNow;
  }
}

export type SetCookie = { name: string; value: string; attributes: Map<string, string> };

/** Every Set-Cookie header of a response, parsed (attribute names lower-cased). */
export function setCookies(response: APIResponse): SetCookie[] {
  return response
    .headersArray()
    .filter((header) => header.name.toLowerCase() === "set-cookie")
    .map(({ value }) => {
      const [pair = "", ...attributes] = value.split(";").map((part) => part.trim());
      const equals = pair.indexOf("=");
      return {
        name: pair.slice(0, equals),
        value: pair.slice(equals + 1),
        attributes: new Map(
          attributes.map((attribute) => {
            const at = attribute.indexOf("=");
            return at === -1 ? [attribute.toLowerCase(), ""] : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)];
          }),
        ),
      };
    });
}

export function sessionSetCookie(response: APIResponse): SetCookie | undefined {
  return setCookies(response).find((cookie) => cookie.name === SESSION_COOKIE);
}

/**
 * A Cookie header carrying only the given session value. The Secure cookie
 * travels over plain http here, so tests send it by hand instead of trusting a
 * request context's cookie jar.
 */
export function withSession(value: string): Record<string, string> {
  return { Cookie: `${SESSION_COOKIE}=${value}` };
}

/** Fails on anything that looks like a Node stack trace or error leaking out. */
export function expectNoLeak(body: string): void {
  expect(body).not.toMatch(/^\s*at\s+\S.*:\d+:\d+\)?\s*$/m);
  expect(body).not.toContain("Error:");
}

/**
 * What a signed-out visitor gets for a protected page: a 307 to this site's
 * sign-in page that remembers where they were going, and nothing of the page.
 */
export async function expectSentToSignIn(response: APIResponse, returnTo: string, hidden: string): Promise<void> {
  const body = await response.text();
  expect(body).not.toContain(hidden);
  expectNoLeak(body);
  expect(response.status(), `GET ${returnTo}`).toBe(307);
  const location = response.headers()["location"] ?? "";
  const site = new URL(test.info().project.use.baseURL ?? "http://localhost");
  const target = new URL(location, site);
  expect(target.origin, `Location: ${location}`).toBe(site.origin);
  expect(target.pathname, `Location: ${location}`).toBe("/login");
  expect(target.searchParams.get("next"), `Location: ${location}`).toBe(returnTo);
}

export async function signInThroughForm(page: Page, { username, password }: TestUser): Promise<void> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export type CliResult = { status: number | null; stdout: string; stderr: string };

/** The operator CLI, against the database the server under test uses. */
export function runUsersCli(args: string[], input?: string): CliResult {
  const result = spawnSync("npm", ["run", "-s", "users", "--", ...args], {
    encoding: "utf8",
    input: input ?? "",
    timeout: 30_000,
    env: { ...process.env, DATABASE_URL: `file:${databasePath()}`, BCRYPT_COST: "10" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Fixtures = {
  user: TestUser;
  /** Signs in through POST /api/session from a throwaway client; returns the cookie's value. */
  signInThroughApi: (user: TestUser) => Promise<string>;
};

export const test = base.extend<Fixtures>({
  // Playwright requires the destructuring form, even empty.
  user: async ({}, use) => {
    await use(createUser());
  },
  signInThroughApi: async ({ playwright, baseURL }, use) => {
    await use(async ({ username, password }) => {
      // A context of its own, so no test's `request` jar ever holds the cookie.
      const api = await playwright.request.newContext(baseURL ? { baseURL } : {});
      try {
        const response = await api.post("/api/session", { data: { username, password } });
        expect(response.status(), await response.text()).toBe(200);
        const cookie = sessionSetCookie(response);
        if (!cookie?.value) throw new Error("POST /api/session set no session cookie.");
        return cookie.value;
      } finally {
        await api.dispose();
      }
    });
  },
});

export { expect };
