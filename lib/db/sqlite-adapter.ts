// Prisma's better-sqlite3 adapter, made fit for a server: reopened when its file
// changes under it, waiting for other processes' locks without stopping the
// process, and with transactions that are really isolated.
// - Prisma connects an adapter once and keeps that connection for the life of
//   the client, so a database file that was moved away, replaced or opened
//   read-only would stay that way until a restart (lib/db/sqlite-file.ts says why
//   that matters). This wrapper hands Prisma one adapter and swaps the
//   connection underneath for a fresh one after the file watch closed it; the
//   watch runs on a timer, so a query pays nothing for it.
// - It waits for other processes' locks between attempts rather than inside
//   SQLite (lib/db/lock-wait.ts).
// - Prisma's adapter runs every query of the process on its one connection and
//   locks only transactions against each other, so another request's query,
//   arriving while a transaction awaits, ran inside it: rolled back with it, or
//   committed with it. Here a query waits while a transaction is open, and a
//   transaction takes the write lock when it begins (BEGIN IMMEDIATE), so two
//   processes' transactions never deadlock upgrading a read to a write.
// - It runs the one query of every signed-in request on the same connection
//   through a statement prepared once (readPrepared; lib/db/sessions.ts says why).
import type { Database, Statement } from "better-sqlite3";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { BUSY_TIMEOUT_MS, LOCK_POLL_MS, retryWhileLocked } from "./lock-wait";
import { closeConnectionsToOtherFile, watchConnection } from "./sqlite-file";

type Open = { adapter: SqlDriverAdapter; connection: Database; statements: Map<string, Statement>; unwatch: () => void };

/**
 * The better-sqlite3 connection inside Prisma's adapter, which names it
 * `client` without typing it. Checked, so that a Prisma release that moves it
 * fails the first query (and the tests) instead of going unnoticed.
 */
function connectionOf(adapter: SqlDriverAdapter): Database {
  const connection = (adapter as unknown as { client?: Partial<Database> }).client;
  if (typeof connection?.prepare !== "function") throw new Error("Keycard: Prisma's better-sqlite3 adapter no longer exposes its connection as `client` (lib/db/sqlite-adapter.ts).");
  return connection as Database;
}

const statementOf = (sql: string): SqlQuery => ({ sql, args: [], argTypes: [] });

export class ReopeningSqliteAdapter implements SqlDriverAdapterFactory, SqlDriverAdapter {
  readonly provider = "sqlite";
  readonly adapterName: string;
  readonly #databasePath: string;
  readonly #factory: PrismaBetterSqlite3;
  #open: Open | null = null;
  /** Settles when the last transaction asked for ends: transactions run one at a time, in order. */
  #lastTransaction: Promise<void> = Promise.resolve();
  /** Settles when the open transaction ends; null while none is open. */
  #openTransaction: Promise<void> | null = null;

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
    return (await this.#currentOpen()).adapter;
  }

  async #currentOpen(): Promise<Open> {
    if (this.#open) return this.#open;
    closeConnectionsToOtherFile(this.#databasePath);
    // Throws SQLITE_CANTOPEN while the file is missing; the next query tries again.
    const adapter = await this.#factory.connect();
    let connection: Database;
    try {
      connection = connectionOf(adapter);
      // WAL is stored in the file; one that arrived without it (a restored backup) is switched.
      await adapter.executeScript("PRAGMA journal_mode = WAL");
    } catch (error) {
      await adapter.dispose();
      throw error;
    }
    const open: Open = {
      adapter,
      connection,
      statements: new Map(),
      unwatch: watchConnection(this.#databasePath, () => this.#close(open)),
    };
    this.#open = open;
    return open;
  }

  #close(open: Open): void {
    if (this.#open === open) this.#open = null;
    try {
      // Into the file this connection holds, wherever it is now (lib/db/sqlite-file.ts).
      // The adapter runs it synchronously, and throws synchronously too.
      void open.adapter.executeScript("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // A read-only connection cannot fold its WAL, and wrote nothing to fold.
    }
    // better-sqlite3 closes synchronously inside dispose.
    void open.adapter.dispose();
  }

  /** Queries outside a transaction wait for the open one to end, so they never run inside it. */
  async #outsideTransactions(): Promise<void> {
    while (this.#openTransaction) await this.#openTransaction;
  }

  // Outside a transaction each of these is one statement, which a lock timeout
  // leaves undone: safe to try again.
  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    await this.#outsideTransactions();
    return retryWhileLocked(async () => (await this.#current()).queryRaw(query), BUSY_TIMEOUT_MS);
  }

  /**
   * The rows of one read, as better-sqlite3 returns them (plain numbers, dates
   * as stored), through a statement prepared once per connection, with the same
   * waits as Prisma's queries. For a query of a handful of fixed texts.
   */
  async readPrepared(sql: string, args: readonly (string | number)[]): Promise<unknown[]> {
    await this.#outsideTransactions();
    return retryWhileLocked(async () => {
      const open = await this.#currentOpen();
      let statement = open.statements.get(sql);
      if (!statement) {
        // Prisma's adapter makes every integer a BigInt; these rows are read as they are.
        statement = open.connection.prepare(sql).safeIntegers(false);
        open.statements.set(sql, statement);
      }
      return statement.all(...args);
    }, BUSY_TIMEOUT_MS);
  }

  async executeRaw(query: SqlQuery): Promise<number> {
    await this.#outsideTransactions();
    return retryWhileLocked(async () => (await this.#current()).executeRaw(query), BUSY_TIMEOUT_MS);
  }

  async executeScript(script: string): Promise<void> {
    await this.#outsideTransactions();
    return retryWhileLocked(async () => (await this.#current()).executeScript(script), BUSY_TIMEOUT_MS);
  }

  /**
   * One transaction at a time, on the connection it began on: if the file
   * changes while it is open, closing that connection fails it rather than let
   * it write to the old file. Another process's lock is waited for between
   * attempts to begin, while this process's queries go on.
   */
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    if (isolationLevel && isolationLevel !== "SERIALIZABLE") {
      throw new Error(`Keycard: SQLite transactions are always SERIALIZABLE (asked for ${isolationLevel}).`);
    }
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const previous = this.#lastTransaction;
    this.#lastTransaction = previous.then(() => ended);
    await previous;
    try {
      const adapter = await retryWhileLocked(async () => {
        const current = await this.#current();
        // Set before BEGIN: a query arriving from here on waits for the end.
        this.#openTransaction = ended;
        try {
          await current.executeRaw(statementOf("BEGIN IMMEDIATE"));
        } catch (error) {
          this.#openTransaction = null;
          throw error;
        }
        return current;
      }, BUSY_TIMEOUT_MS);
      return new OneConnectionTransaction(adapter, () => {
        if (this.#openTransaction === ended) this.#openTransaction = null;
        end();
      });
    } catch (error) {
      end();
      throw error;
    }
  }

  /** Prisma's $disconnect(). The next query reopens. */
  async dispose(): Promise<void> {
    const open = this.#open;
    if (!open) return;
    open.unwatch();
    this.#close(open);
  }
}

/**
 * A transaction Prisma drives with its own BEGIN … COMMIT / ROLLBACK statements
 * (usePhantomQuery: false), every statement on the one connection it began on.
 */
class OneConnectionTransaction implements Transaction {
  readonly provider = "sqlite";
  readonly adapterName: string;
  readonly options = { usePhantomQuery: false };
  readonly #adapter: SqlDriverAdapter;
  readonly #end: () => void;

  constructor(adapter: SqlDriverAdapter, end: () => void) {
    this.#adapter = adapter;
    this.adapterName = adapter.adapterName;
    this.#end = end;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return this.#adapter.queryRaw(query);
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.#adapter.executeRaw(query);
  }

  // Prisma has sent COMMIT or ROLLBACK by now; what is left is to let the next one in.
  async commit(): Promise<void> {
    this.#end();
  }

  async rollback(): Promise<void> {
    try {
      // After a failed COMMIT Prisma rolls back without a statement of its own.
      await this.#adapter.executeRaw(statementOf("ROLLBACK"));
    } catch {
      // Already rolled back: SQLite says no transaction is active.
    } finally {
      this.#end();
    }
  }
}
