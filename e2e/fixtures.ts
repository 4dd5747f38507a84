// Shared test helpers: a fresh user per test, written straight into the
// throwaway database the server under test uses (playwright.config.ts): a
// SQLite file in the "chromium" project, a PostgreSQL database in the
// "postgresql" one.
import { test as base, expect, type APIResponse, type BrowserContext, type Locator, type Page } from "@playwright/test";
import bcrypt from "bcryptjs";
import Database from "better-sqlite3";
import { sealData, unsealData } from "iron-session";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { createPostgresDatabase, databaseUrl, execute, queryRows, type TestDatabase } from "./database";

export type TestUser = { username: string; password: string };

/** The production cookie name: `next start` turns Secure cookies on. */
export const SESSION_COOKIE = "__Host-keycard_session";
export const DEVICE_COOKIE = "__Host-keycard_device";

/** The Playwright project whose tests run against PostgreSQL (playwright.config.ts). */
export const POSTGRESQL_PROJECT = "postgresql";

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through playwright.config.ts.`);
  return value;
}

/** Whether the running test's project runs its servers on PostgreSQL. */
export function onPostgres(): boolean {
  return test.info().project.name === POSTGRESQL_PROJECT;
}

/** The database of the main server the running test's project talks to (its baseURL). */
export function serverDatabase(): TestDatabase {
  if (onPostgres()) return { provider: "postgresql", url: setting("E2E_POSTGRES_URL") };
  return { provider: "sqlite", path: setting("E2E_DATABASE_PATH") };
}

/** A new, empty database on the PostgreSQL cluster of the main "postgresql" server. */
export function newPostgresDatabase(): TestDatabase & { provider: "postgresql" } {
  return createPostgresDatabase(setting("E2E_POSTGRES_CLUSTER_URL"));
}

/**
 * A new, empty database of the kind the running test's project uses, for a
 * server of its own: a file in `folder`, or a database on the e2e cluster.
 */
export function newDatabase(folder: string): TestDatabase {
  if (onPostgres()) return newPostgresDatabase();
  return { provider: "sqlite", path: path.join(folder, "keycard.db") };
}

/**
 * A client address no other test uses, from the documentation ranges (RFC 5737;
 * RFC 3849 once those run out, a /64 each). Only a header value: no traffic goes there.
 * The server trusts one proxy (TRUST_PROXY=1 in playwright.config.ts), so it
 * takes this as the client's address, and each test gets throttle counters of
 * its own although every request really comes from 127.0.0.1. A counter in a
 * file next to the test database keeps addresses unique across workers.
 */
export function newClientIp(): string {
  const counter = new Database(path.join(path.dirname(setting("E2E_DATABASE_PATH")), "client-ips.db"));
  try {
    counter.pragma("busy_timeout = 5000");
    counter.exec("CREATE TABLE IF NOT EXISTS next_ip (n INTEGER NOT NULL)");
    const n = counter.transaction(() => {
      const row = counter.prepare("UPDATE next_ip SET n = n + 1 RETURNING n").get() as { n: number } | undefined;
      if (row) return row.n;
      counter.prepare("INSERT INTO next_ip (n) VALUES (0)").run();
      return 0;
    }).immediate();
    const ranges = ["203.0.113", "198.51.100"];
    const range = ranges[Math.floor(n / 254)];
    // IPv6 addresses are throttled by /64: one /64 each.
    return range ? `${range}.${(n % 254) + 1}` : `2001:db8:0:${n.toString(16)}::1`;
  } finally {
    counter.close();
  }
}

/**
 * A user in the server's database (or `database`, another server's).
 * `bcryptCost` sets how long the server's password check takes.
 */
export function createUser(prefix = "user", { database = serverDatabase(), bcryptCost = 10 } = {}): TestUser {
  const user = { username: `${prefix}-${randomBytes(5).toString("hex")}`, password: `pw-${randomBytes(9).toString("base64url")}` };
  insertUser(user, { database, bcryptCost });
  return user;
}

/** `user`, by that name and password, in the server's database (or `database`). */
export function insertUser({ username, password }: TestUser, { database = serverDatabase(), bcryptCost = 10 } = {}): void {
  execute(database, 'INSERT INTO "User" ("username", "passwordHash", "updatedAt") VALUES (?, ?, ?)', [
    username,
    bcrypt.hashSync(password, bcryptCost),
    new Date().toISOString(),
  ]);
}

export function userIdOf(username: string, database = serverDatabase()): number {
  const [row] = queryRows<{ id: number }>(database, 'SELECT "id" FROM "User" WHERE "username" = ?', [username]);
  if (!row) throw new Error(`No user ${username} in the test database.`);
  return row.id;
}

export function userExists(username: string): boolean {
  return queryRows(serverDatabase(), 'SELECT 1 AS "found" FROM "User" WHERE "username" = ?', [username]).length > 0;
}

/** The secret the server under test seals cookies with. */
export function sessionSecret(): string {
  const password = process.env.E2E_SESSION_SECRET;
  if (!password) throw new Error("E2E_SESSION_SECRET is not set: run the tests through playwright.config.ts.");
  return password;
}

/** What the server seals into the cookie: a random session token and the user id. */
export type CookieData = { sid: string; uid: number };

/**
 * Seals cookie data exactly as the server does, with the server's secret
 * (the runner shares it through E2E_SESSION_SECRET). `sealedAt` moves the
 * clock iron-session reads, so an expired seal needs no waiting.
 */
export async function sealSession(
  data: CookieData,
  { ttlSeconds, sealedAt }: { ttlSeconds: number; sealedAt?: number },
): Promise<string> {
  const realNow = Date.now;
  if (sealedAt !== undefined) Date.now = () => sealedAt;
  try {
    return await sealData(data, { password: sessionSecret(), ttl: ttlSeconds });
  } finally {
    Date.now = realNow;
  }
}

/** The token and user id inside a cookie the server sealed. */
export async function unsealSession(seal: string): Promise<CookieData> {
  const data = await unsealData<Partial<CookieData>>(seal, { password: sessionSecret() });
  if (typeof data.sid !== "string" || typeof data.uid !== "number") throw new Error("The cookie holds no session token.");
  return { sid: data.sid, uid: data.uid };
}

/** The id of a token's "Session" row: the server stores only the token's SHA-256. */
export function sessionIdOfToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The id of the "Session" row behind a sealed cookie. */
export async function sessionIdOf(seal: string): Promise<string> {
  return sessionIdOfToken((await unsealSession(seal)).sid);
}

/** A "Session" row as stored: dates as ISO-8601 text (e2e/database.ts reads PostgreSQL's so too). */
export type SessionRow = {
  id: string;
  userId: number;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  /** 0 or 1 on SQLite, a boolean on PostgreSQL. */
  persistent: number | boolean;
  ip: string | null;
  userAgent: string | null;
  revokedAt: string | null;
};

export function sessionRow(id: string, database = serverDatabase()): SessionRow {
  const [row] = queryRows<SessionRow>(database, 'SELECT * FROM "Session" WHERE "id" = ?', [id]);
  if (!row) throw new Error(`No session row ${id} in the test database.`);
  return row;
}

/** Whether the session row `id` exists, revoked or not. */
export function hasSessionRow(id: string, database = serverDatabase()): boolean {
  return queryRows(database, 'SELECT 1 AS "found" FROM "Session" WHERE "id" = ?', [id]).length > 0;
}

/** Moves a session's clock: the way to test idle and absolute timeouts without waiting. */
export function setSessionTimes(id: string, times: { lastSeenAt?: Date; expiresAt?: Date; authenticatedAt?: Date }): void {
  for (const [column, value] of Object.entries(times)) {
    const changes = execute(serverDatabase(), `UPDATE "Session" SET "${column}" = ? WHERE "id" = ?`, [value.toISOString(), id]);
    if (changes !== 1) throw new Error(`No session row ${id} to update.`);
  }
}

/**
 * A session row written straight into the database, as if the user had signed
 * in; returns its token (what the server seals into the cookie).
 */
export function insertSession(userId: number, { lifetimeSeconds = 3600, database = serverDatabase() } = {}): string {
  const token = randomBytes(16).toString("base64url");
  const now = new Date();
  execute(
    database,
    'INSERT INTO "Session" ("id", "userId", "createdAt", "lastSeenAt", "expiresAt", "persistent") VALUES (?, ?, ?, ?, ?, false)',
    [sessionIdOfToken(token), userId, now.toISOString(), now.toISOString(), new Date(now.getTime() + lifetimeSeconds * 1000).toISOString()],
  );
  return token;
}

export type ThrottleRow = { key: string; failures: number; blockedUntil: string | null; updatedAt: string };

export function throttleRow(key: string): ThrottleRow | undefined {
  return queryRows<ThrottleRow>(serverDatabase(), 'SELECT * FROM "Throttle" WHERE "key" = ?', [key])[0];
}

/** Lets a throttled key try again now, as if its wait were over. */
export function endThrottleWait(key: string): void {
  const past = new Date(Date.now() - 1000).toISOString();
  const changes = execute(serverDatabase(), 'UPDATE "Throttle" SET "blockedUntil" = ? WHERE "key" = ?', [past, key]);
  if (changes !== 1) throw new Error(`No throttle row ${key} to update.`);
}

/** Every row of the audit log (of the server's database, or `database`), every column. */
export function securityEvents(database = serverDatabase()): Array<Record<string, unknown>> {
  return queryRows(database, 'SELECT * FROM "SecurityEvent"');
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

/** The device cookie (lib/auth/device-cookie.ts) a response sets, if any. */
export function deviceSetCookie(response: APIResponse): SetCookie | undefined {
  return setCookies(response).find((cookie) => cookie.name === DEVICE_COOKIE);
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

/**
 * Edits a hidden field of a form, as an attacker would. Only once React has
 * hydrated the page: hydration sets a hidden field back to the value it
 * rendered, so an edit made before then is lost, the form posts the genuine
 * value, and the test checks nothing (seen on a loaded machine). Every page
 * whose fields the tests forge offers a passkey button, which is enabled from
 * hydration on (app/ui/use-hydrated.ts).
 */
export async function forgeHiddenField(page: Page, field: Locator, value: string): Promise<void> {
  await expect(page.getByRole("button", { name: /a passkey$/ })).toBeEnabled();
  await field.evaluate((input, forged) => {
    (input as HTMLInputElement).value = forged;
  }, value);
}

export async function signInThroughForm(
  page: Page,
  { username, password }: TestUser,
  { remember = false }: { remember?: boolean } = {},
): Promise<void> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  if (remember) await page.getByLabel("Keep me signed in").check();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/**
 * Puts a session cookie into a browser context, as if it had signed in. Chromium
 * takes a Secure cookie for localhost over plain http, but only when set for
 * the domain, not for an http:// URL.
 */
export async function addSessionCookie(context: BrowserContext, seal: string): Promise<void> {
  await context.addCookies([{ name: SESSION_COOKIE, value: seal, domain: "localhost", path: "/", secure: true, httpOnly: true, sameSite: "Lax" }]);
}

/** The session cookie a browser context holds, if any. */
export async function browserSessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
}

/** The value of the session cookie a browser context holds; fails when there is none. */
export async function browserSeal(context: BrowserContext): Promise<string> {
  const cookie = await browserSessionCookie(context);
  if (!cookie?.value) throw new Error(`The browser holds no ${SESSION_COOKIE} cookie.`);
  return cookie.value;
}

export type CliResult = { status: number | null; stdout: string; stderr: string };

/** The operator CLI, against the database the server under test uses. */
export function runUsersCli(args: string[], input?: string): CliResult {
  const result = spawnSync("npm", ["run", "-s", "users", "--", ...args], {
    encoding: "utf8",
    input: input ?? "",
    // npm, tsx and Prisma's start-up alone can take many seconds on a busy machine.
    timeout: 90_000,
    env: { ...process.env, DATABASE_URL: databaseUrl(serverDatabase()), BCRYPT_COST: "10" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Fixtures = {
  user: TestUser;
  /** The client address the server sees for this test's browser and `request` (X-Forwarded-For). */
  clientIp: string;
  /** Signs in through POST /api/session from a throwaway client; returns the cookie's value. */
  signInThroughApi: (user: TestUser, options?: { remember?: boolean }) => Promise<string>;
};

export const test = base.extend<Fixtures>({
  // Playwright requires the destructuring form, even empty.
  user: async ({}, use) => {
    await use(createUser());
  },
  clientIp: async ({}, use) => {
    await use(newClientIp());
  },
  // Every browser context and request context a test makes, its own included,
  // starts from these options: each test is one client address of its own.
  extraHTTPHeaders: async ({ extraHTTPHeaders, clientIp }, use) => {
    await use({ ...extraHTTPHeaders, "X-Forwarded-For": clientIp });
  },
  signInThroughApi: async ({ playwright }, use) => {
    await use(async ({ username, password }, { remember = false } = {}) => {
      // A context of its own, so no test's `request` jar ever holds the cookie.
      const api = await playwright.request.newContext();
      try {
        const response = await api.post("/api/session", { data: { username, password, ...(remember ? { remember } : {}) } });
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
