import "server-only";
import { Prisma, PrismaClient } from "../generated/prisma/client";
import { PrismaClient as PostgresPrismaClient } from "../generated/postgresql/client";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { getDatabaseConfig } from "../config";
import { BUSY_TIMEOUT_MS } from "./lock-wait";
import { createPool, readPrepared as readPreparedOnPool, statementName, type PreparedRead } from "./postgres";
import { ReopeningSqliteAdapter } from "./sqlite-adapter";

export type { PreparedRead };

// DATABASE_URL chooses the database (lib/config.ts). Prisma generates a client
// per provider from one set of models (prisma/schema.prisma, and
// prisma/postgresql/schema.prisma made from it), so both have the same methods
// and types: the rest of the app sees the SQLite client's types whichever runs.
//
// The one client of the process lives on globalThis: every bundle that imports
// this (Next.js builds several) and every re-evaluation by `next dev` shares it,
// and with it one SQLite connection or one PostgreSQL pool.
type Database =
  | { provider: "sqlite"; client: PrismaClient; sqlite: ReopeningSqliteAdapter }
  | { provider: "postgresql"; client: PrismaClient; postgres: PostgresPrismaClient; pool: pg.Pool };

const globalForPrisma = globalThis as unknown as { keycardDatabase?: Database };

function connect(): Database {
  const config = getDatabaseConfig();
  if (config.provider === "sqlite") {
    const sqlite = new ReopeningSqliteAdapter(config.path);
    return { provider: "sqlite", client: new PrismaClient({ adapter: sqlite }), sqlite };
  }
  const pool = createPool(config);
  const postgres = new PostgresPrismaClient({ adapter: new PrismaPg(pool, { statementNameGenerator: statementName }) });
  return { provider: "postgresql", client: postgres as unknown as PrismaClient, postgres, pool };
}

const database = (globalForPrisma.keycardDatabase ??= connect());

export const db = database.client;

export const provider = database.provider;

/**
 * Runs a read prepared once per connection, on Prisma's own connection (SQLite)
 * or pool (PostgreSQL), with the same waits as Prisma's queries. `sql` uses `?`
 * placeholders; rows come back as the driver types them (SQLite: dates as ISO
 * text, booleans as 0 or 1; PostgreSQL: Date and boolean).
 */
export function readPrepared(read: PreparedRead, args: readonly (string | number)[]): Promise<unknown[]> {
  return database.provider === "sqlite" ? database.sqlite.readPrepared(read.sql, args) : readPreparedOnPool(database.pool, read, args);
}

/** Closes the connection or pool (tests, scripts that end). */
export async function disconnect(): Promise<void> {
  await db.$disconnect();
  if (database.provider === "postgresql" && !database.pool.ended) await database.pool.end();
  delete globalForPrisma.keycardDatabase;
}

/** The client, or an open transaction: what every query function takes. */
export type Tx = Prisma.TransactionClient;

const MAX_ATTEMPTS = 5;

/**
 * Runs `work` as one serializable transaction. On PostgreSQL, two transactions
 * that touched the same rows at once end with one of them refused (SQLSTATE
 * 40001, or 40P01 for a deadlock): it runs again, from the start, a few times
 * with a short random pause, so a race costs time, never an error page. `work`
 * must be safe to run again (it is, as long as it only uses `tx`). On SQLite,
 * transactions take the write lock as they begin and are never refused so;
 * beginning may wait as long as a query does for another process's lock
 * (lib/db/lock-wait.ts), so Prisma's own wait is set above it.
 */
export async function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction(work, { isolationLevel: "Serializable", maxWait: BUSY_TIMEOUT_MS + 1000, timeout: 10_000 });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isWriteConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * Runs `work` as one transaction that holds `keys` (throttle counters, a
 * user's sessions) against every other transaction holding one of them, in any
 * process: they take turns, in order of arrival, so a read-modify-write of a
 * counter never loses a count and never has to be retried. On SQLite every
 * transaction holds the database's write lock from its start. On PostgreSQL the
 * keys are advisory locks, taken in sorted order (two transactions never wait
 * for each other) before the first read, at READ COMMITTED, so that the read
 * sees what the transaction before committed.
 */
export async function transactionHolding<T>(keys: string[], work: (tx: Tx) => Promise<T>): Promise<T> {
  if (database.provider === "sqlite") return transaction(work);
  return database.postgres.$transaction(
    async (tx) => {
      // One statement for all the keys. ORDER BY puts the locking in key order:
      // PostgreSQL evaluates volatile output expressions after the sort.
      const distinct = [...new Set(keys)];
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(${distinct}::text[]) AS key ORDER BY key`;
      return work(tx as unknown as Tx);
    },
    { isolationLevel: "ReadCommitted", maxWait: BUSY_TIMEOUT_MS + 1000, timeout: 10_000 },
  );
}

/** A unique index refused the row (Prisma's P2002): someone else got there first. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

/** A serializable transaction lost a race with another (Prisma's P2034: SQLSTATE 40001 or 40P01). */
export function isWriteConflict(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2034";
}
