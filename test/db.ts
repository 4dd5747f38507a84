// Helpers for tests against the throwaway database test/setup.ts creates.
import Database from "better-sqlite3";
import type pg from "pg";
import { afterEach, beforeEach, vi } from "vitest";

import { db, provider } from "../lib/db/client";
import { getDatabasePath } from "../lib/config";
import { ThrottledError } from "../lib/auth/throttle";
import type { PublicUser } from "../lib/auth/accounts";
import { queryPostgres } from "./postgres";

/** Empties every table, so each test starts from nothing. */
export async function clearDatabase(): Promise<void> {
  await clearActivity();
  await db.user.deleteMany();
}

/** Empties everything but the users: sessions, throttle counters, the audit log, passkey challenges. */
export async function clearActivity(): Promise<void> {
  await db.securityEvent.deleteMany();
  await db.webAuthnChallenge.deleteMany();
  await db.session.deleteMany();
  await db.throttle.deleteMany();
}

/**
 * A user with a placeholder hash, for tests that never check a password
 * (lib/auth/accounts.ts createUser spends a bcrypt hash on each).
 */
export async function insertUser(username: string): Promise<PublicUser> {
  return db.user.create({ data: { username, passwordHash: "not-a-bcrypt-hash" }, select: { id: true, username: true } });
}

/** Empties every table, then inserts `usernames` with placeholder hashes (insertUser), by name. */
export async function resetToUsers<const Name extends string>(...usernames: Name[]): Promise<Record<Name, PublicUser>> {
  await clearDatabase();
  const users: Partial<Record<Name, PublicUser>> = {};
  for (const username of usernames) users[username] = await insertUser(username);
  return users as Record<Name, PublicUser>;
}

/**
 * Keeps the housekeeping that runs on 1 % of writes (pruneThrottles, pruneEvents,
 * pruneSessions: `Math.random() < 0.01`) out of every test in the calling file,
 * so the rows a test counts are the rows it wrote. A test may spy on Math.random
 * again to force a prune.
 */
export function skipRandomPruning(): void {
  beforeEach(() => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
}

/** The failures counted against a throttle key (0 when it has no row). */
export async function failuresOf(key: string): Promise<number> {
  return (await db.throttle.findUnique({ where: { key } }))?.failures ?? 0;
}

/** The ThrottledError `attempt` rejects with, or null when it resolves; any other error is rethrown. */
export async function throttledBy(attempt: Promise<unknown>): Promise<ThrottledError | null> {
  try {
    await attempt;
    return null;
  } catch (error) {
    if (error instanceof ThrottledError) return error;
    throw error;
  }
}

/** How many times each outcome came up: for attempts sent at once, whose order the database decides. */
export function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

/** Runs SQL, several statements allowed, on a connection of its own to the test database (Prisma's is not used). */
export async function execSql(sql: string): Promise<void> {
  if (provider === "postgresql") {
    await postgresQuery(sql);
    return;
  }
  const file = new Database(getDatabasePath());
  try {
    file.exec(sql);
  } finally {
    file.close();
  }
}

/** Every value in every row of `table`, as the database holds them, read on a connection of its own, bypassing Prisma. */
export async function rawRows(table: string): Promise<Array<Record<string, unknown>>> {
  const sql = `SELECT * FROM "${table}"`;
  if (provider === "postgresql") return (await postgresQuery(sql)).rows;
  const file = new Database(getDatabasePath(), { readonly: true });
  try {
    return file.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    file.close();
  }
}

/** The column names of `table`, in order, as the database has them. */
export async function columnsOf(table: string): Promise<string[]> {
  if (provider === "postgresql") {
    const { rows } = await postgresQuery(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
      [table],
    );
    return rows.map((column: { column_name: string }) => column.column_name);
  }
  const file = new Database(getDatabasePath(), { readonly: true });
  try {
    return (file.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>).map((column) => column.name);
  } finally {
    file.close();
  }
}

/**
 * Makes the database refuse every `event` ("INSERT", `UPDATE OF "revokedAt"`)
 * on `table` with "disk I/O error", as a full disk or a failing drive would:
 * a trigger that raises, planted on a connection of its own. Returns what
 * removes it. Prisma reports it as any failed statement, the message in
 * meta.driverAdapterError.cause.originalMessage.
 */
export async function failWrites(table: string, event: string): Promise<() => Promise<void>> {
  if (provider === "postgresql") {
    await execSql(`CREATE FUNCTION keycard_test_fail_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$;
      CREATE TRIGGER keycard_test_fail_write BEFORE ${event} ON "${table}" FOR EACH ROW EXECUTE FUNCTION keycard_test_fail_write();`);
    return () => execSql(`DROP TRIGGER keycard_test_fail_write ON "${table}"; DROP FUNCTION keycard_test_fail_write();`);
  }
  await execSql(`CREATE TRIGGER keycard_test_fail_write BEFORE ${event} ON "${table}" BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
  return () => execSql("DROP TRIGGER keycard_test_fail_write");
}

/** Whether `error` is the failure failWrites plants ("disk I/O error"), as Prisma reports it. */
export function isInjectedFailure(error: unknown): boolean {
  return (
    (error as { meta?: { driverAdapterError?: { cause?: { originalMessage?: string } } } }).meta?.driverAdapterError?.cause?.originalMessage ===
    "disk I/O error"
  );
}

/** A statement on the test file's PostgreSQL database, on a connection of its own. */
function postgresQuery(sql: string, values?: unknown[]): Promise<pg.QueryResult> {
  return queryPostgres(process.env.DATABASE_URL ?? "", sql, values);
}
