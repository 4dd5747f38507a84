// Several instances behind one load balancer (issue 15): two production servers,
// each run from a folder of its own (the standalone build, deployed as the README
// says), sharing nothing but one PostgreSQL database and one configuration, with
// nginx in front running the config the docs ship (docs/nginx.conf, e2e/balancer.ts).
// Whichever instance answers, a client must see one Keycard: its session, its
// sign-out, its throttle counters, its unique usernames, its forms. One cluster,
// one pair of instances and one nginx serve the whole file, in order; the last
// test stops an instance.
import type { APIRequestContext, APIResponse, Browser, BrowserContext, Page, PlaywrightWorkerArgs } from "@playwright/test";
import bcrypt from "bcryptjs";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startPostgres, whyNoPostgres, type Postgres } from "../scripts/postgres-cluster";
import { startBalancer, whyNoNginx, type Balancer } from "./balancer";
import { browserSeal, test as base, expect, newClientIp, sessionIdOf, sessionSetCookie, signInThroughForm, withSession, type TestUser } from "./fixtures";
import { startServer, type Server } from "./servers";

const standaloneBuild = process.env.E2E_STANDALONE_DIR;
const whyNot = standaloneBuild
  ? (whyNoPostgres() ?? whyNoNginx())
  : "needs the standalone build `npm test` makes (scripts/test.ts); `npm run test:e2e` alone does not make it";
if (whyNot) console.log(`multi-instance.spec.ts skipped: ${whyNot}`);

/** A request context of its own per test, trusting the balancer's throwaway certificate, with no cookie in its jar. */
const test = base.extend<{ api: APIRequestContext }>({
  api: async ({ playwright }, use) => {
    const api = await playwright.request.newContext({ ignoreHTTPSErrors: true });
    await use(api);
    await api.dispose();
  },
});

test.describe.configure({ mode: "serial" });
test.skip(whyNot !== null, whyNot ?? "");

let postgres: Postgres | undefined;
let databaseUrl = "";
const folders: string[] = [];
const instances: Server[] = [];
let balancer: Balancer | undefined;

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(240_000);
  postgres = await startPostgres();
  databaseUrl = await createDatabase(postgres.url, "keycard_multi_instance");
  // Each instance its own copy of the build: nothing shared but the database and the settings.
  for (const name of ["a", "b"]) {
    const folder = mkdtempSync(path.join(os.tmpdir(), `keycard-instance-${name}-`));
    folders.push(folder);
    cpSync(standaloneBuild!, folder, { recursive: true, verbatimSymlinks: true });
  }
  // The same SESSION_SECRET for both (e2e/servers.ts). The first start applies the
  // migrations (npm run db:migrate, as the README deploys); the second finds none pending.
  const env = { DATABASE_URL: databaseUrl, TRUST_PROXY: "1" };
  for (const folder of folders) instances.push(await startServer({ script: "standalone", standaloneDir: folder, env, host: "127.0.0.1" }));
  balancer = await startBalancer(instances.map(addressOf));
});

test.afterAll(async () => {
  // Everything that started stops, whatever failed before.
  const stops = await Promise.allSettled([balancer?.stop(), ...instances.map((instance) => instance.stop())]);
  postgres?.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  for (const stop of stops) if (stop.status === "rejected") throw stop.reason;
});

test("signed in through the balancer, the next requests are signed in whichever instance answers, and both answer some", async ({ browser, api }) => {
  const user = await createUser("balanced");
  // The sign-in form through nginx: its server action checks the request's Origin against the Host nginx passes on.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`${origin()}/login`);
  await signInThroughForm(page, user);
  await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();
  const seal = await browserSeal(context);
  // Closed first, so that no request of the page's comes between the ones counted below.
  await context.close();

  const answeredBy: string[] = [];
  for (let request = 1; request <= 8; request++) {
    const response = await api.get(`${origin()}/dashboard`, { headers: withSession(seal), maxRedirects: 0 });
    expect(response.status(), `GET /dashboard #${request}`).toBe(200);
    expect(await response.text()).toContain(`Welcome ${user.username}!`);
    answeredBy.push(upstreamOf(response));
  }
  console.log(`GET /dashboard x8 through nginx after signing in, answered by: ${answeredBy.join(" ")}`);
  expect(new Set(answeredBy)).toEqual(new Set(instances.map(addressOf)));
});

test("nginx hands the instances the client's address, the Host with its port and the scheme", async ({ api }) => {
  // The client reaches nginx from 127.0.0.2, nginx reaches the instances from
  // 127.0.0.1: the session must record the first, whatever the client claims.
  const viaOtherAddress = origin().replace("localhost", "127.0.0.2");
  const user = await createUser("proxied");
  const response = await postFrom("127.0.0.2", `${viaOtherAddress}/api/session`, JSON.stringify(user), {
    "Content-Type": "application/json",
    // The Origin a browser on that page sends: accepted only if the Host reached the app as the browser sent it.
    Origin: viaOtherAddress,
    "X-Forwarded-For": "198.51.100.250",
  });
  expect(response.status, response.body).toBe(200);
  // X-Forwarded-Proto: https reached the app.
  expect(response.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
  const seal = /__Host-keycard_session=([^;]+)/.exec(String(response.headers["set-cookie"]))?.[1] ?? "";
  const [row] = await query<{ ip: string }>('SELECT ip FROM "Session" WHERE id = $1', [await sessionIdOf(seal)]);
  expect(row?.ip).toBe("127.0.0.2");

  const plain = await api.get(`${balancer!.plainOrigin}/dashboard`, { maxRedirects: 0 });
  expect(plain.status()).toBe(301);
  expect(plain.headers()["location"]).toBe("https://localhost/dashboard");
});

test("a session signed out on one instance is refused by the other at once", async ({ playwright, api }) => {
  const [signingOut, other] = pair();
  const user = await createUser("revoked");
  const seal = await signIn(playwright, origin(), user);
  // Both instances have served this session, so neither could answer from anything it kept.
  for (const instance of instances) expect((await api.get(`${instance.origin}/api/session`, { headers: withSession(seal) })).status()).toBe(200);

  expect((await api.delete(`${signingOut.origin}/api/session`, { headers: withSession(seal) })).status()).toBe(204);

  const check = await api.get(`${other.origin}/api/session`, { headers: withSession(seal) });
  expect(check.status()).toBe(401);
  const page = await api.get(`${other.origin}/dashboard`, { headers: withSession(seal), maxRedirects: 0 });
  expect(page.status()).toBe(307);
  expect(page.headers()["location"]).toBe("/login?next=%2Fdashboard");
});

test("failed sign-ins spread over both instances are throttled as one account", async ({ api }) => {
  const user = await createUser("guessed");
  // One client address of its own (the instances trust one proxy, and this
  // request reaches them directly), so only the account's counter can trip.
  const headers = { "X-Forwarded-For": newClientIp() };
  const attempt = (instance: Server, password: string) => api.post(`${instance.origin}/api/session`, { data: { username: user.username, password }, headers });
  // The account's free failures (lib/auth/throttle.ts RULES.account), alternating instances.
  for (let failure = 1; failure <= 5; failure++) {
    const instance = instances[failure % 2]!;
    expect((await attempt(instance, `wrong-${failure}`)).status(), `wrong password #${failure} on ${addressOf(instance)}`).toBe(401);
  }
  // Now either instance refuses even the right password: it counts what the other counted.
  for (const instance of instances) {
    const refused = await attempt(instance, user.password);
    expect(refused.status(), `the right password on ${addressOf(instance)}`).toBe(429);
    expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(0);
  }
});

test("two sign-ups of one new name racing on the two instances make one account", async ({ browser }) => {
  const username = `race-${randomBytes(5).toString("hex")}`;
  // Each submission is held in its browser until both are sent, so both reach
  // their instance before either is answered, however slowly the second click comes.
  let sent = 0;
  let releaseBoth = () => {};
  const bothSent = new Promise<void>((resolve) => (releaseBoth = resolve));
  const contenders = await Promise.all(
    instances.map(async (instance) => {
      const { context, page } = await openPage(browser, `${instance.origin}/signup`);
      const password = `Tidy-Otter-${randomBytes(6).toString("hex")}`;
      await fillSignUp(page, username, password);
      await page.route(isSignupPath, async (route) => {
        if (route.request().method() !== "POST") return route.fallback();
        if (++sent === 2) releaseBoth();
        await bothSent;
        await route.continue();
      });
      const answered = page.waitForResponse((response) => response.request().method() === "POST");
      return { instance, context, page, password, answered };
    }),
  );
  await Promise.all(contenders.map(({ page }) => page.getByRole("button", { name: "Create account" }).click()));

  const outcomes = await Promise.all(
    contenders.map(async ({ instance, page, answered }) => {
      const response = await answered;
      // The POST went to the instance the page came from, and was answered without a server error.
      expect((await response.serverAddr())?.port).toBe(portOf(instance));
      expect(response.status()).toBeLessThan(500);
      const signedIn = page.getByRole("heading", { name: `Welcome ${username}!` });
      const taken = page.getByRole("alert").filter({ hasText: "That username is taken." });
      await expect(signedIn.or(taken)).toBeVisible();
      return (await signedIn.isVisible()) ? "signed in" : "taken";
    }),
  );
  console.log(`sign-up race for ${username}: ${contenders.map(({ instance }, index) => `${addressOf(instance)} -> ${outcomes[index]}`).join(", ")}`);
  expect(outcomes.toSorted()).toEqual(["signed in", "taken"]);
  expect(await usersNamed(username)).toBe(1);
  for (const { context } of contenders) await context.close();
});

test("a server action rendered by one instance runs on the other", async ({ browser }) => {
  const [renderer, runner] = pair();
  const username = `crossed-${randomBytes(5).toString("hex")}`;
  const { context, page } = await openPage(browser, `${renderer.origin}/signup`);
  // The page, its scripts and its action ids come from the renderer; its form post
  // goes to the runner, as a balancer may send it. A balancer keeps the site's Host;
  // here the post goes to the runner's own address, so the site's host travels in
  // X-Forwarded-Host, as docs/nginx.conf sets it, which Next.js checks Origin against.
  await page.route(isSignupPath, async (route) => {
    const request = route.request();
    if (request.method() !== "POST") return route.fallback();
    // Chromium sets Host from the new URL.
    const headers = Object.fromEntries(Object.entries(await request.allHeaders()).filter(([name]) => name !== "host"));
    await route.continue({ url: `${runner.origin}/signup`, headers: { ...headers, "x-forwarded-host": new URL(renderer.origin).host } });
  });
  await fillSignUp(page, username, `Tidy-Otter-${randomBytes(6).toString("hex")}`);
  const answered = page.waitForResponse((response) => response.request().method() === "POST");
  await page.getByRole("button", { name: "Create account" }).click();

  const response = await answered;
  expect((await response.serverAddr())?.port, "the instance that ran the action").toBe(portOf(runner));
  expect(response.status()).toBe(200);
  // The action created the account and signed this browser in: it is on its dashboard.
  await expect(page.getByRole("heading", { name: `Welcome ${username}!` })).toBeVisible();
  expect(page.url()).toBe(`${renderer.origin}/dashboard`);
  expect(await usersNamed(username)).toBe(1);
  await context.close();
});

test("while the database is away, the balancer passes on each instance's 503 with Retry-After, and both serve again as soon as it is back", async ({ playwright, api }) => {
  const user = await createUser("outage");
  const seal = await signIn(playwright, origin(), user);
  const bringBack = await takeDatabaseAway();
  const answeredBy = new Set<string>();
  try {
    // Several times max_fails (docs/nginx.conf) per instance: had nginx counted
    // these 503s as failures, it would have taken both out and answered 502 itself.
    for (let round = 1; round <= 8; round++) {
      for (const path of ["/api/health", "/api/session"]) {
        const response = await api.get(`${origin()}${path}`, { headers: withSession(seal) });
        expect(response.status(), `GET ${path} #${round} while the database is away`).toBe(503);
        expect(response.headers()["retry-after"]).toBe("5");
        answeredBy.add(upstreamOf(response));
      }
    }
  } finally {
    await bringBack();
  }
  expect(answeredBy).toEqual(new Set(instances.map(addressOf)));
  // The very next requests through the balancer are served, by both instances,
  // and the session lived through the outage.
  const servedBy = new Set<string>();
  for (let request = 1; request <= 2; request++) {
    const health = await api.get(`${origin()}/api/health`);
    expect(health.status(), `GET /api/health #${request} once the database is back`).toBe(200);
    servedBy.add(upstreamOf(health));
  }
  expect(servedBy).toEqual(new Set(instances.map(addressOf)));
  expect((await api.get(`${origin()}/api/session`, { headers: withSession(seal) })).status()).toBe(200);
});

test("an instance stopped with SIGTERM while requests flow loses none of them, and sign-in keeps working on the other", async ({ playwright, api }, testInfo) => {
  testInfo.setTimeout(180_000);
  const [stopping, staying] = pair();
  const user = await createUser("steady");
  const seal = await signIn(playwright, origin(), user);

  type Answer = { status: number | string; upstream: string; sentAfterExit: boolean };
  const answers: Answer[] = [];
  let exited = false;
  let done = false;
  // Four clients, each sending its next GET as soon as the last is answered.
  const client = async () => {
    while (!done) {
      const sentAfterExit = exited;
      try {
        const response = await api.get(`${origin()}/dashboard`, { headers: withSession(seal), maxRedirects: 0 });
        answers.push({ status: response.status(), upstream: response.headers()["x-upstream"] ?? "", sentAfterExit });
        await response.dispose();
      } catch (error) {
        answers.push({ status: String(error), upstream: "", sentAfterExit });
      }
    }
  };
  const clients = Array.from({ length: 4 }, client);
  const servedBy = (instance: Server) => answers.filter((answer) => lastUpstream(answer.upstream) === addressOf(instance)).length;
  try {
    // Traffic flows to both before the stop.
    await expect.poll(() => Math.min(servedBy(stopping), servedBy(staying)), { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
    const sentBeforeStop = answers.length;
    const exit = await stopping.stop();
    exited = true;
    expect(exit).toEqual({ code: 0, signal: null, leftovers: false });
    await expect.poll(() => answers.filter((answer) => answer.sentAfterExit).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(40);
    done = true;
    await Promise.all(clients);

    const retried = answers.filter((answer) => answer.upstream.includes(","));
    console.log(
      `SIGTERM under load: ${answers.length} GETs, ${sentBeforeStop} answered before the stop began, ` +
        `${answers.filter((answer) => answer.sentAfterExit).length} sent after ${addressOf(stopping)} exited; ` +
        `statuses ${[...new Set(answers.map((answer) => answer.status))].join(",")}; retried by nginx: ${retried.map((answer) => answer.upstream).join(" | ") || "none"}`,
    );
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    for (const answer of answers.filter((answer) => answer.sentAfterExit)) expect(lastUpstream(answer.upstream)).toBe(addressOf(staying));
  } finally {
    done = true;
    await Promise.all(clients);
  }

  // Twice: round robin would send one of them to the stopped instance.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const newSeal = await signIn(playwright, origin(), user);
    const dashboard = await api.get(`${origin()}/dashboard`, { headers: withSession(newSeal), maxRedirects: 0 });
    expect(dashboard.status(), `sign-in #${attempt} after the stop`).toBe(200);
    expect(lastUpstream(dashboard.headers()["x-upstream"] ?? "")).toBe(addressOf(staying));
  }
});

function origin(): string {
  if (!balancer) throw new Error("The balancer did not start.");
  return balancer.origin;
}

/** The two instances, in the order a test names them. */
function pair(): [Server, Server] {
  const [first, second] = instances;
  if (!first || !second) throw new Error("The two instances did not start.");
  return [first, second];
}

/** host:port, as nginx names the instance in X-Upstream. */
function addressOf(instance: Server): string {
  return new URL(instance.origin).host;
}

function portOf(instance: Server): number {
  return Number(new URL(instance.origin).port);
}

/** The instance that answered: nginx lists every one it tried, the last answered. */
function lastUpstream(upstreams: string): string {
  return upstreams.split(",").at(-1)?.trim() ?? "";
}

function upstreamOf(response: APIResponse): string {
  return lastUpstream(response.headers()["x-upstream"] ?? "");
}

const isSignupPath = (url: URL) => url.pathname === "/signup";

/** Signs in through POST /api/session at `at` from a throwaway client; returns the cookie's value. */
async function signIn(playwright: PlaywrightWorkerArgs["playwright"], at: string, user: TestUser): Promise<string> {
  const client = await playwright.request.newContext({ ignoreHTTPSErrors: true });
  try {
    const response = await client.post(`${at}/api/session`, { data: user });
    expect(response.status(), await response.text()).toBe(200);
    const seal = sessionSetCookie(response)?.value;
    if (!seal) throw new Error("POST /api/session set no session cookie.");
    return seal;
  } finally {
    await client.dispose();
  }
}

/** A POST over TLS from the local address `from`, trusting the balancer's throwaway certificate. */
function postFrom(from: string, url: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: "POST", localAddress: from, rejectUnauthorized: false, headers }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** A browser of its own, as a client address of its own (the instances trust X-Forwarded-For), on `url`. */
async function openPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": newClientIp() } });
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

async function fillSignUp(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password", { exact: true }).fill(password);
}

/**
 * Makes the shared database unusable to every instance, as a database that went
 * away would be: no new connection gets in, the open ones are ended, and the
 * name then leads nowhere (SQLSTATE 3D000, which the app answers with 503).
 * Returns what undoes it. The cluster itself stays up, for the tests after.
 */
async function takeDatabaseAway(): Promise<() => Promise<void>> {
  if (!postgres) throw new Error("No cluster.");
  const admin = postgres.url;
  const name = new URL(databaseUrl).pathname.slice(1);
  const away = `${name}_away`;
  await query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`, [], admin);
  await query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [name], admin);
  // A backend told to end takes a moment to go; a database in use cannot be renamed.
  await expect
    .poll(async () => Number((await query<{ count: string }>("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", [name], admin))[0]?.count))
    .toBe(0);
  await query(`ALTER DATABASE ${name} RENAME TO ${away}`, [], admin);
  return async () => {
    await query(`ALTER DATABASE ${away} RENAME TO ${name}`, [], admin);
    await query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`, [], admin);
  };
}

/** A user in the shared database, as `npm run users -- add` would make it. */
async function createUser(prefix: string): Promise<TestUser> {
  const user = { username: `${prefix}-${randomBytes(5).toString("hex")}`, password: `pw-${randomBytes(9).toString("base64url")}` };
  await query('INSERT INTO "User" (username, "passwordHash", "updatedAt") VALUES ($1, $2, now())', [user.username, bcrypt.hashSync(user.password, 10)]);
  return user;
}

async function usersNamed(username: string): Promise<number> {
  const [row] = await query<{ count: string }>('SELECT count(*) FROM "User" WHERE username = $1', [username]);
  return Number(row?.count);
}

async function query<Row>(sql: string, values: unknown[] = [], url = databaseUrl): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** A new database `name` on the cluster at `serverUrl`; its URL. */
async function createDatabase(serverUrl: string, name: string): Promise<string> {
  await query(`CREATE DATABASE ${name}`, [], serverUrl);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
