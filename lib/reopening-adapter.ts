// Prisma's better-sqlite3 adapter, reopened when its file changes under it.
// Prisma connects an adapter once and keeps that connection for the life of the
// client, so a database file that was moved away, replaced or opened read-only
// would stay that way until a restart (lib/database-file.ts says why that
// matters). This wrapper hands Prisma one adapter and swaps the connection
// underneath for a fresh one after the file watch closed it; the watch runs on
// a timer, so a query pays nothing for it. It also waits for other processes'
// locks between attempts rather than inside SQLite (lib/lock-wait.ts).
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { closeConnectionsToOtherFile, watchConnection } from "./database-file";
import { LOCK_POLL_MS, retryWhileLocked } from "./lock-wait";
import { BUSY_TIMEOUT_MS } from "./sqlite";

type Open = { adapter: SqlDriverAdapter; unwatch: () => void };

export class ReopeningSqliteAdapter implements SqlDriverAdapterFactory, SqlDriverAdapter {
  readonly provider = "sqlite";
  readonly adapterName: string;
  readonly #databasePath: string;
  readonly #factory: PrismaBetterSqlite3;
  #open: Open | null = null;

  constructor(databasePath: string) {
    this.#databasePath = databasePath;
    // fileMustExist: a missing file is an error (503), not a new empty database;
    // migrations create it (npm start, npm run dev, npm run db:migrate).
    // timeout: SQLite's own wait for a lock, kept short; the rest of BUSY_TIMEOUT_MS is retries.
    this.#factory = new PrismaBetterSqlite3({ url: databasePath, timeout: LOCK_POLL_MS, fileMustExist: true });
    this.adapterName = this.#factory.adapterName;
  }

  /** Prisma calls this once; every reopening happens behind the one adapter it gets. */
  async connect(): Promise<SqlDriverAdapter> {
    return this;
  }

  // Prisma's adapter opens its better-sqlite3 connection synchronously inside
  // connect() and answers every query synchronously inside its promise-returning
  // methods, so opening here and closing from the watch's timer cannot overlap a query.
  async #current(): Promise<SqlDriverAdapter> {
    if (this.#open) return this.#open.adapter;
    closeConnectionsToOtherFile(this.#databasePath);
    // Throws SQLITE_CANTOPEN while the file is missing; the next query tries again.
    const adapter = await this.#factory.connect();
    // WAL is stored in the file; one that arrived without it (a restored backup) is switched.
    try {
      await adapter.executeScript("PRAGMA journal_mode = WAL");
    } catch (error) {
      await adapter.dispose();
      throw error;
    }
    const open: Open = { adapter, unwatch: watchConnection(this.#databasePath, () => this.#close(open)) };
    this.#open = open;
    return adapter;
  }

  #close(open: Open): void {
    if (this.#open === open) this.#open = null;
    try {
      // Into the file this connection holds, wherever it is now (lib/database-file.ts).
      // The adapter runs it synchronously, and throws synchronously too.
      void open.adapter.executeScript("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // A read-only connection cannot fold its WAL, and wrote nothing to fold.
    }
    // better-sqlite3 closes synchronously inside dispose.
    void open.adapter.dispose();
  }

  // Outside a transaction each of these is one statement, which a lock timeout
  // leaves undone: safe to try again.
  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return retryWhileLocked(async () => (await this.#current()).queryRaw(query), BUSY_TIMEOUT_MS);
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return retryWhileLocked(async () => (await this.#current()).executeRaw(query), BUSY_TIMEOUT_MS);
  }

  executeScript(script: string): Promise<void> {
    return retryWhileLocked(async () => (await this.#current()).executeScript(script), BUSY_TIMEOUT_MS);
  }

  // Keycard runs no Prisma transactions (the adapter's one connection would put
  // other requests' queries inside them). Should one run: it waits LOCK_POLL_MS
  // for a lock, not retried; and if the file changes while it is open, closing
  // its connection fails it rather than let it write to the old file.
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    return (await this.#current()).startTransaction(isolationLevel);
  }

  /** Prisma's $disconnect(). The next query reopens. */
  async dispose(): Promise<void> {
    const open = this.#open;
    if (!open) return;
    open.unwatch();
    this.#close(open);
  }
}
