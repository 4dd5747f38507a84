// PostgreSQL in trouble under a running production server (npm start), each
// test on a throwaway cluster of its own that it stops, starts and locks: the
// database stopped, a statement held up by a lock, every pooled connection
// busy. The API answers 503 JSON, /api/health 503, signed-in pages the 503 page
// once the server has met the failure: never a hang, no stack trace in the log;
// and the server recovers by itself once the database is back, the same cookie
// still signed in. Last, a database that is missing or empty, reported by
// /api/health.
// PostgreSQL only (playwright.config.ts); SQLite's faults are faults.spec.ts's.
import type { APIRequestContext } from "@playwright/test";
import { rmSync } from "node:fs";
import pg from "pg";
import { startPostgres, type Postgres } from "../scripts/postgres-cluster";
import { createPostgresDatabase, databaseUrl, queryRows, removeDatabase, type TestDatabase } from "./database";
import { createUser, expect, expectNoLeak, newPostgresDatabase, test, withSession, type TestUser } from "./fixtures";
import { signInTo, startServer, type Server } from "./servers";
import { expectHealthUnavailable, expectUnavailableJson, expectUnavailablePage } from "./unavailable";

/** Every request here has an answer well within this, or the server hangs. */
const ANSWER_WITHIN_MS = 30_000;

type Setup = { cluster: Postgres; database: TestDatabase & { provider: "postgresql" }; server: Server; user: TestUser; seal: string };

/** A cluster, a server on a database there, and a user signed in to it, for `work`; all removed after. */
async function onOwnCluster(request: APIRequestContext, env: Record<string, string>, work: (setup: Setup) => Promise<void>): Promise<void> {
  const cluster = await startPostgres();
  try {
    const database = createPostgresDatabase(cluster.url);
    const server = await startServer({ database, env, keep: true });
    try {
      const user = createUser("pg-fault", { database });
      const seal = await signInTo(server, request, user);
      await expectSignedIn(request, server, user, seal);
      await work({ cluster, database, server, user, seal });
      expectNoStackTrace(server.output());
    } finally {
      await server.stop();
      // The database goes with the cluster.
      rmSync(server.directory, { recursive: true, force: true });
    }
  } finally {
    cluster.stop();
  }
}

function dashboard(request: APIRequestContext, server: Server, seal: string) {
  return request.get(`${server.origin}/dashboard`, { headers: withSession(seal), maxRedirects: 0, timeout: ANSWER_WITHIN_MS });
}

function whoAmI(request: APIRequestContext, server: Server, seal: string) {
  return request.get(`${server.origin}/api/session`, { headers: withSession(seal), timeout: ANSWER_WITHIN_MS });
}

function signIn(request: APIRequestContext, server: Server, user: TestUser) {
  return request.post(`${server.origin}/api/session`, { data: user, timeout: ANSWER_WITHIN_MS });
}

async function expectSignedIn(request: APIRequestContext, server: Server, user: TestUser, seal: string): Promise<void> {
  const page = await dashboard(request, server, seal);
  expect(page.status()).toBe(200);
  expect(await page.text()).toContain(`Welcome ${user.username}!`);
}

function expectNoStackTrace(output: string): void {
  try {
    expectNoLeak(output);
    // Next.js marks the errors it logs with ⨯.
    expect(output).not.toContain("⨯");
  } catch (error) {
    throw new Error(`The server printed\n${output.slice(0, 3000)}`, { cause: error });
  }
}

/** A connection of the test's own that holds an exclusive lock on "Session" until released. */
async function lockSessions(database: TestDatabase & { provider: "postgresql" }): Promise<{ release: () => Promise<void> }> {
  const holder = new pg.Client({ connectionString: database.url, application_name: "e2e-lock-holder" });
  await holder.connect();
  await holder.query("BEGIN");
  await holder.query('LOCK TABLE "Session" IN ACCESS EXCLUSIVE MODE');
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await holder.query("ROLLBACK");
      await holder.end();
    },
  };
}

/** Whether a connection of the server's waits for a lock: a request it is answering is held up. */
async function serverWaitsForLock(database: TestDatabase & { provider: "postgresql" }): Promise<boolean> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'keycard' AND wait_event_type = 'Lock'`);
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

test("the database stopped: 503 page, 503 JSON, health 503; started again, the server recovers by itself, same cookie", async ({ request }, testInfo) => {
  testInfo.setTimeout(240_000);
  await onOwnCluster(request, {}, async ({ cluster, server, user, seal }) => {
    cluster.stopServer();
    await expect.poll(server.health, { timeout: ANSWER_WITHIN_MS }).toBe(503);
    await expectUnavailablePage(await dashboard(request, server, seal));
    await expectUnavailableJson(await whoAmI(request, server, seal));
    await expectUnavailableJson(await signIn(request, server, user));
    expect(await server.health()).toBe(503);

    // Same port, same data: the pool opens new connections by itself.
    cluster.startServer();
    await expect.poll(server.health, { timeout: ANSWER_WITHIN_MS }).toBe(200);
    await expectSignedIn(request, server, user, seal);
    expect((await signIn(request, server, user)).status()).toBe(200);
  });
});

// The API meets the failure first here: a page that meets it first can only
// answer through app/global-error.tsx, status 500 (docs/operations.md, "Pages").
test("a statement held up by a lock is cut by the statement timeout: 503, not a hang; released, it works", async ({ request }, testInfo) => {
  testInfo.setTimeout(240_000);
  await onOwnCluster(request, { DATABASE_STATEMENT_TIMEOUT_MS: "1000" }, async ({ database, server, user, seal }) => {
    const lock = await lockSessions(database);
    try {
      await expectUnavailableJson(await whoAmI(request, server, seal));
      await expectUnavailableJson(await signIn(request, server, user));
      await expectUnavailablePage(await dashboard(request, server, seal));
    } finally {
      await lock.release();
    }
    // SQLSTATE 57014: PostgreSQL cancelled the statement (the log names the code, nothing more).
    expect(server.output()).toContain("keycard: database unavailable (57014)");
    await expect.poll(server.health, { timeout: ANSWER_WITHIN_MS }).toBe(200);
    await expectSignedIn(request, server, user, seal);
  });
});

test("every pooled connection busy: the next request is a 503 after the pool's wait, not a hang; freed, both work", async ({ request }, testInfo) => {
  testInfo.setTimeout(240_000);
  // One connection, and statements allowed to wait far longer than a request waits for a connection (POOL_WAIT_MS).
  await onOwnCluster(request, { DATABASE_POOL_SIZE: "1", DATABASE_STATEMENT_TIMEOUT_MS: "30000" }, async ({ database, server, user, seal }) => {
    const lock = await lockSessions(database);
    let first: ReturnType<typeof whoAmI> | undefined;
    try {
      // The first request takes the only connection and waits for the lock with it.
      first = whoAmI(request, server, seal);
      await expect.poll(() => serverWaitsForLock(database), { timeout: ANSWER_WITHIN_MS }).toBe(true);
      await expectUnavailableJson(await signIn(request, server, user));
      await expectUnavailableJson(await whoAmI(request, server, seal));
      await expectUnavailablePage(await dashboard(request, server, seal));
    } finally {
      await lock.release();
    }
    // The first request was held up, not failed: it gets its answer now.
    const held = await first;
    expect(held.status(), await held.text()).toBe(200);
    expect(server.output()).toContain("keycard: database unavailable (timeout exceeded when trying to connect)");
    await expect.poll(server.health, { timeout: ANSWER_WITHIN_MS }).toBe(200);
    await expectSignedIn(request, server, user, seal);
    expect((await signIn(request, server, user)).status()).toBe(200);
  });
});

test("GET /api/health answers 503 when the PostgreSQL database does not exist or has no tables", async ({}, testInfo) => {
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
