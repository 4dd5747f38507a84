import "server-only";
import { Prisma, PrismaClient } from "../generated/prisma/client";
import { getDatabasePath } from "../config";
import { BUSY_TIMEOUT_MS } from "./lock-wait";
import { ReopeningSqliteAdapter } from "./sqlite-adapter";

// The one database client of the process, on globalThis: every bundle that
// imports this (Next.js builds several) and every re-evaluation by `next dev`
// shares it, and with it one connection.
const globalForPrisma = globalThis as unknown as { keycardSqlite?: ReopeningSqliteAdapter; keycardPrisma?: PrismaClient };

/** The connection under the client, for the one read that skips Prisma (lib/db/sessions.ts). */
export const sqlite = (globalForPrisma.keycardSqlite ??= new ReopeningSqliteAdapter(getDatabasePath()));

export const db = (globalForPrisma.keycardPrisma ??= new PrismaClient({ adapter: sqlite }));

/** The client, or an open transaction: what every query function takes. */
export type Tx = Prisma.TransactionClient;

/**
 * Runs `work` as one transaction. Beginning may wait as long as a query does
 * for another process's lock (lib/db/lock-wait.ts), so Prisma's own wait is set above it.
 */
export function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(work, { isolationLevel: "Serializable", maxWait: BUSY_TIMEOUT_MS + 1000, timeout: 10_000 });
}

/** A unique index refused the row (Prisma's P2002): someone else got there first. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}
