// The process's own synchronous SQLite connection (better-sqlite3), beside
// Prisma's. Two jobs need it: the per-request session lookup, where a prepared
// statement costs microseconds against a Prisma query's milliseconds; and the
// throttle's read-then-write transactions, which must run start to finish
// without another request's queries interleaving (Prisma's adapter runs every
// query of the process on one connection, so an open interactive transaction
// would swallow other requests' writes). No "server-only" here: middleware,
// which runs on the Node runtime, imports it too.
import Database from "better-sqlite3";
import { getDatabasePath } from "./database-path";

/** How long a query waits for another connection's write lock before giving up. */
export const BUSY_TIMEOUT_MS = 5000;

type Connection = { database: Database.Database; statements: Map<string, Database.Statement> };

// On globalThis: middleware and the app are separate bundles in one process, and
// `next dev` re-evaluates modules on edits; all of them share one connection.
const globalForSqlite = globalThis as unknown as { keycardSqlite?: Connection };

function connection(): Connection {
  const current = globalForSqlite.keycardSqlite;
  if (current?.database.open) return current;
  // fileMustExist: a missing file is an error (503), not a new empty database.
  const database = new Database(getDatabasePath(), { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  globalForSqlite.keycardSqlite = { database, statements: new Map() };
  return globalForSqlite.keycardSqlite;
}

export function sqlite(): Database.Database {
  return connection().database;
}

/** A prepared statement, compiled once per connection. */
export function statement<Params extends unknown[] = unknown[], Row = unknown>(sql: string): Database.Statement<Params, Row> {
  const { database, statements } = connection();
  let prepared = statements.get(sql);
  if (!prepared) {
    prepared = database.prepare(sql);
    statements.set(sql, prepared);
  }
  return prepared as Database.Statement<Params, Row>;
}

/** Timestamps in the text form Prisma's adapter writes, so both read each other's rows. */
export function toStoredDate(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}
