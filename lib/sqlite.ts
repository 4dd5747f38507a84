// The process's own synchronous SQLite connection (better-sqlite3), beside
// Prisma's. Two jobs need it: the per-request session lookup, where a prepared
// statement costs microseconds against a Prisma query's milliseconds; and the
// throttle's read-then-write transactions, which must run start to finish
// without another request's queries interleaving (Prisma's adapter runs every
// query of the process on one connection, so an open interactive transaction
// would swallow other requests' writes). No "server-only" here: middleware,
// which runs on the Node runtime, imports it too.
//
// The connection is reopened by itself when the file at DATABASE_URL changes
// under it (lib/database-file.ts), between two turns of the event loop. So take
// statements and use them in one synchronous stretch; never keep one across an
// `await`, where the connection behind it may have been closed.
import Database from "better-sqlite3";
import { getDatabasePath } from "./database-path";
import { closeConnectionsToOtherFile, watchConnection } from "./database-file";
import { LOCK_POLL_MS, retryWhileLocked } from "./lock-wait";

/** How long a query waits for another connection's write lock before giving up. */
export const BUSY_TIMEOUT_MS = 5000;

type Connection = { database: Database.Database; statements: Map<string, Database.Statement> };

// On globalThis: middleware and the app are separate bundles in one process, and
// `next dev` re-evaluates modules on edits; all of them share one connection.
const globalForSqlite = globalThis as unknown as { keycardSqlite?: Connection };

function connection(): Connection {
  const current = globalForSqlite.keycardSqlite;
  if (current?.database.open) return current;
  const databasePath = getDatabasePath();
  closeConnectionsToOtherFile(databasePath);
  // fileMustExist: a missing file is an error (503), not a new empty database.
  const database = new Database(databasePath, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    ensureWriteAheadLog(database, databasePath);
  } catch (error) {
    database.close();
    throw error;
  }
  const opened: Connection = { database, statements: new Map() };
  watchConnection(databasePath, () => {
    if (globalForSqlite.keycardSqlite === opened) delete globalForSqlite.keycardSqlite;
    foldWalAndClose(database);
  });
  globalForSqlite.keycardSqlite = opened;
  return opened;
}

/**
 * WAL lets readers go on while one connection writes, so a sign-in never waits
 * for another's page load. The mode is stored in the file (migrations set it);
 * a file that arrived another way (a restored backup) is switched on first use.
 */
function ensureWriteAheadLog(database: Database.Database, databasePath: string): void {
  if (database.pragma("journal_mode", { simple: true }) === "wal") return;
  const mode: unknown = database.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal") console.warn(`keycard: ${databasePath} stays in journal mode "${String(mode)}", not WAL (read-only?).`);
}

/**
 * Copies the WAL into the file this connection holds, wherever that file is now
 * (lib/database-file.ts says why), and empties the -wal file; then closes. A
 * read-only connection cannot checkpoint, and wrote nothing to fold back.
 */
function foldWalAndClose(database: Database.Database): void {
  try {
    if (!database.readonly) database.pragma("wal_checkpoint(TRUNCATE)");
  } catch {
    // Read-only after all (the file's permissions), or another process is reading: close anyway.
  } finally {
    database.close();
  }
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

/**
 * Runs a write that may have to wait for another process's lock (a statement's
 * run(), or a whole transaction(…).immediate()) without holding the event loop
 * for that wait (lib/lock-wait.ts): SQLite waits LOCK_POLL_MS at a time, up to
 * BUSY_TIMEOUT_MS in all, then SQLITE_BUSY is thrown. Take the statements inside
 * `write`: between attempts the connection may have been reopened.
 */
export function writeWhenUnlocked<T>(write: () => T): Promise<T> {
  return retryWhileLocked(() => {
    const database = sqlite();
    database.pragma(`busy_timeout = ${LOCK_POLL_MS}`);
    try {
      return write();
    } finally {
      if (database.open) database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }, BUSY_TIMEOUT_MS);
}

/**
 * Throws the SQLite error unless this process could write to the database right
 * now: takes the write lock (waiting at most `timeoutMs` for another
 * connection's), changes a row to itself, rolls back. A plain BEGIN IMMEDIATE is
 * not enough: SQLite grants it on a read-only connection. About 11 µs when the
 * lock is free; nothing reaches the file.
 */
export function probeWrite(timeoutMs: number): void {
  const database = sqlite();
  database.pragma(`busy_timeout = ${timeoutMs}`);
  try {
    database.exec("BEGIN IMMEDIATE");
    try {
      statement('UPDATE "_prisma_migrations" SET id = id WHERE rowid = (SELECT min(rowid) FROM "_prisma_migrations")').run();
    } finally {
      // Some failures (I/O, a full disk) end the transaction themselves.
      if (database.inTransaction) database.exec("ROLLBACK");
    }
  } finally {
    if (database.open) database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/** Timestamps in the text form Prisma's adapter writes, so both read each other's rows. */
export function toStoredDate(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}
