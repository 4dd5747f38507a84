// isDatabaseUnavailable on PostgreSQL's errors, every one of them real: thrown
// by pg as lib/db/postgres.ts's pool and the session lookup meet them, and by
// Prisma through the pg adapter as lib/db/client.ts uses it, against a real
// server that is slow, busy, stopped, or missing the database or its tables.
// PostgreSQL only (vitest.config.ts); SQLite's are in
// lib/http/service-unavailable.test.ts.
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { afterEach, describe, expect, inject, it } from "vitest";

import { PrismaClient } from "../generated/postgresql/client";
import { isDatabaseUnavailable, unavailabilityCode } from "./errors";
import { createPool, POOL_WAIT_MS, readPrepared } from "./postgres";
import { startPostgres } from "../../scripts/postgres-cluster";
import { withScratchDatabase } from "../../scripts/schema-diff";
import { errorFrom } from "../../test/errors";
import { queryPostgres, waitForRunning } from "../../test/postgres";

const serverUrl = inject("postgresUrl");
/** The test file's own migrated database (test/setup.ts). */
const migratedUrl = process.env.DATABASE_URL ?? "";

type Connection = { pool: pg.Pool; prisma: PrismaClient };
const opened: Connection[] = [];

/** A pool as the app makes it (lib/db/postgres.ts), and Prisma on it as lib/db/client.ts puts it. */
function connect(url: string, { poolSize = 2, statementTimeoutMs = 5000 } = {}): Connection {
  const pool = createPool({ url, poolSize, statementTimeoutMs });
  const connection = { pool, prisma: new PrismaClient({ adapter: new PrismaPg(pool) }) };
  opened.push(connection);
  return connection;
}

async function close({ pool, prisma }: Connection): Promise<void> {
  await prisma.$disconnect();
  if (!pool.ended) await pool.end();
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map(close));
});

/** Expects `error` to mean "unavailable", and the log to name it `code`. */
function expectUnavailable(error: unknown, code: string): void {
  expect(unavailabilityCode(error)).toBe(code);
  expect(isDatabaseUnavailable(error)).toBe(true);
}

describe("PostgreSQL errors that mean the database is unavailable", () => {
  it("a statement that runs past statement_timeout (57014)", async () => {
    const { pool, prisma } = connect(migratedUrl, { statementTimeoutMs: 200 });
    const fromPg = await errorFrom(() => pool.query("SELECT pg_sleep(10)"));
    expect(fromPg).toMatchObject({ code: "57014", message: "canceling statement due to statement timeout" });
    expectUnavailable(fromPg, "57014");
    expectUnavailable(await errorFrom(() => prisma.$queryRaw`SELECT pg_sleep(10)`), "57014");
  });

  it(`every connection of the pool busy for longer than the pool's wait (${POOL_WAIT_MS} ms)`, async () => {
    const { pool, prisma } = connect(migratedUrl, { poolSize: 1 });
    const held = await pool.connect();
    try {
      // Both wait out the same POOL_WAIT_MS, side by side.
      const [fromPg, fromPrisma] = await Promise.all([errorFrom(() => pool.query("SELECT 1")), errorFrom(() => prisma.user.findMany())]);
      expect(fromPg).toMatchObject({ message: "timeout exceeded when trying to connect" });
      expectUnavailable(fromPg, "timeout exceeded when trying to connect");
      // Prisma passes pg's error through as it is.
      expectUnavailable(fromPrisma, "timeout exceeded when trying to connect");
    } finally {
      held.release();
    }
  });

  it("a connection the server ends under a statement (57P01), as a restart or a failover does", async () => {
    const { pool, prisma } = connect(migratedUrl);
    const terminate = async (marker: string) => {
      const pid = await waitForRunning(migratedUrl, marker);
      await queryPostgres(migratedUrl, "SELECT pg_terminate_backend($1)", [pid]);
    };
    const [fromPg] = await Promise.all([errorFrom(() => pool.query("SELECT pg_sleep(10) AS cut_from_pg")), terminate("cut_from_pg")]);
    expect(fromPg).toMatchObject({ code: "57P01" });
    expectUnavailable(fromPg, "57P01");
    const [fromPrisma] = await Promise.all([
      errorFrom(() => prisma.$queryRawUnsafe("SELECT pg_sleep(10) AS cut_from_prisma")),
      terminate("cut_from_prisma"),
    ]);
    expect(fromPrisma).toMatchObject({ code: "P2010" });
    expectUnavailable(fromPrisma, "57P01");
  });

  it("a server that stops under a statement, then refuses connections (ECONNREFUSED)", async () => {
    const cluster = await startPostgres();
    try {
      const { pool, prisma } = connect(cluster.url);
      const [cut] = await Promise.all([
        errorFrom(() => pool.query("SELECT pg_sleep(10) AS cut_by_stop")),
        waitForRunning(cluster.url, "cut_by_stop").then(() => cluster.stop()),
      ]);
      expect(cut).toMatchObject({ message: "Connection terminated unexpectedly" });
      expectUnavailable(cut, "Connection terminated");

      const refused = await errorFrom(() => pool.query("SELECT 1"));
      expect(refused).toMatchObject({ code: "ECONNREFUSED" });
      expect(isDatabaseUnavailable(refused)).toBe(true);
      const fromPrisma = await errorFrom(() => prisma.user.findMany());
      expect(fromPrisma).toMatchObject({ code: "P1001" });
      expectUnavailable(fromPrisma, "DatabaseNotReachable");
    } finally {
      cluster.stop();
    }
  }, 60_000);

  it("a database that does not exist (3D000)", async () => {
    const url = new URL(serverUrl);
    url.pathname = "/keycard_no_such_database";
    const { pool, prisma } = connect(url.href);
    expectUnavailable(await errorFrom(() => pool.query("SELECT 1")), "3D000");
    const fromPrisma = await errorFrom(() => prisma.user.findMany());
    expect(fromPrisma).toMatchObject({ code: "P1003" });
    expectUnavailable(fromPrisma, "3D000");
  });

  it("a database without Keycard's tables (42P01), as the session lookup and Prisma (P2021) read it", async () => {
    await withScratchDatabase(serverUrl, async (url) => {
      const connection = connect(url);
      const lookup = { name: "keycard_test_unmigrated", sql: 'SELECT "id" FROM "Session" WHERE "id" = ?' };
      expectUnavailable(await errorFrom(() => readPrepared(connection.pool, lookup, ["a"])), "42P01");
      const fromPrisma = await errorFrom(() => connection.prisma.session.findMany());
      expect(fromPrisma).toMatchObject({ code: "P2021" });
      expectUnavailable(fromPrisma, "42P01");
      await close(connection);
    });
  });
});

describe("PostgreSQL errors that are bugs, not an unavailable database", () => {
  it("a syntax error (42601), from pg and from Prisma", async () => {
    const { pool, prisma } = connect(migratedUrl);
    const fromPg = await errorFrom(() => pool.query("SELEC 1"));
    expect(fromPg).toMatchObject({ code: "42601" });
    expect(isDatabaseUnavailable(fromPg)).toBe(false);
    const fromPrisma = await errorFrom(() => prisma.$queryRawUnsafe("SELEC 1"));
    expect(fromPrisma).toMatchObject({ code: "P2010" });
    expect(isDatabaseUnavailable(fromPrisma)).toBe(false);
  });

  it("a unique violation (23505), from pg and from Prisma (P2002)", async () => {
    const { pool, prisma } = connect(migratedUrl);
    const { username } = await prisma.user.create({ data: { username: "taken", passwordHash: "x" } });
    const fromPrisma = await errorFrom(() => prisma.user.create({ data: { username, passwordHash: "x" } }));
    expect(fromPrisma).toMatchObject({ code: "P2002" });
    expect(isDatabaseUnavailable(fromPrisma)).toBe(false);
    const fromPg = await errorFrom(() => pool.query(`INSERT INTO "User" ("username", "passwordHash", "updatedAt") VALUES ($1, 'x', now())`, [username]));
    expect(fromPg).toMatchObject({ code: "23505" });
    expect(isDatabaseUnavailable(fromPg)).toBe(false);
  });
});
