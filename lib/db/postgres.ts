// PostgreSQL's connection pool, as the app uses it through Prisma's pg adapter.
// Each setting bounds a wait, so that a database in trouble costs a request a
// few seconds and a 503 (lib/db/errors.ts), never a hang:
// - DATABASE_STATEMENT_TIMEOUT_MS: the server cancels any statement that runs
//   longer (a lock held elsewhere, a runaway query): SQLSTATE 57014;
// - DATABASE_POOL_SIZE connections per process, and a request that finds them
//   all busy waits at most POOL_WAIT_MS for one ("timeout exceeded when trying
//   to connect"), as one waits for SQLite's lock (lib/db/lock-wait.ts);
// - a connection that does not open within POOL_WAIT_MS fails the same way.
// An idle connection is kept for a minute (pg's default: 10 s): a new one costs
// PostgreSQL a process, the authentication and its caches, and every statement
// prepared anew, several milliseconds of CPU each, which a burst of sign-ins
// after a short quiet spell would otherwise pay again (docs/performance.md).
import { createHash } from "node:crypto";
import pg from "pg";
import { BUSY_TIMEOUT_MS } from "./lock-wait";

export const POOL_WAIT_MS = BUSY_TIMEOUT_MS;
const IDLE_CONNECTION_MS = 60_000;

export type PostgresSettings = { url: string; poolSize: number; statementTimeoutMs: number };

export function createPool({ url, poolSize, statementTimeoutMs }: PostgresSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: POOL_WAIT_MS,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    statement_timeout: statementTimeoutMs,
    // A transaction left open by a crashed request must not hold locks for long.
    idle_in_transaction_session_timeout: Math.max(statementTimeoutMs * 2, 10_000),
    application_name: "keycard",
  });
  // An idle connection the server closed (a restart, a failover) is dropped by
  // the pool and replaced on the next query; without a listener, Node would
  // treat the event as an uncaught error and end the process.
  pool.on("error", () => {});
  return pool;
}

/**
 * The name Prisma's adapter gives a query (its documented statementNameGenerator),
 * made from the SQL text: each connection of the pool then parses and plans a
 * query once and after that only binds and runs it. A sign-in's statements cost
 * PostgreSQL about a quarter less CPU (docs/performance.md). About a microsecond
 * per query, so it is not kept.
 */
export function statementName({ sql }: { sql: string }): string {
  return `prisma_${createHash("sha256").update(sql).digest("hex").slice(0, 32)}`;
}

/** A read prepared once per connection, by name: the one query that skips Prisma (lib/db/sessions.ts). */
export type PreparedRead = { name: string; sql: string };

/** Runs `read` (`?` placeholders, as SQLite writes them) on a connection of the pool; rows as pg types them. */
export async function readPrepared(pool: pg.Pool, { name, sql }: PreparedRead, args: readonly (string | number)[]): Promise<unknown[]> {
  let text = postgresText.get(name);
  if (text === undefined) {
    let index = 0;
    text = sql.replace(/\?/g, () => `$${++index}`);
    postgresText.set(name, text);
  }
  const result = await pool.query({ name, text, values: [...args], types: PRISMA_TYPES });
  return result.rows;
}

// Prisma writes DateTime columns (TIMESTAMP(3), no time zone) in UTC and reads
// them back as UTC; pg reads such a value as the process's local time, so on a
// server whose TZ is not UTC every date read here would be off by the offset.
const TIMESTAMP = 1114;
const PRISMA_TYPES = {
  getTypeParser: (oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP ? (value: string) => new Date(`${value.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

const postgresText = new Map<string, string>();
