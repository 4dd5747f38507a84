// Helpers for tests against the throwaway database test/setup.ts creates.
import Database from "better-sqlite3";
import { afterEach, beforeEach, vi } from "vitest";

import { db } from "../lib/db/client";
import { getDatabasePath } from "../lib/config";
import { ThrottledError } from "../lib/auth/throttle";
import type { PublicUser } from "../lib/auth/accounts";

/** Empties every table, so each test starts from nothing. */
export async function clearDatabase(): Promise<void> {
  await clearActivity();
  await db.user.deleteMany();
}

/** Empties everything but the users: sessions, throttle counters, the audit log. */
export async function clearActivity(): Promise<void> {
  await db.securityEvent.deleteMany();
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

/** Runs SQL (a trigger that fails a write, say) on a connection of its own to the test database. */
export function execSql(sql: string): void {
  const file = new Database(getDatabasePath());
  try {
    file.exec(sql);
  } finally {
    file.close();
  }
}

/** Every value in every row of `table`, read straight from the SQLite file, bypassing Prisma. */
export function rawRows(table: string): Array<Record<string, unknown>> {
  const file = new Database(getDatabasePath(), { readonly: true });
  try {
    return file.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>;
  } finally {
    file.close();
  }
}

/** The column names of `table`, as SQLite has them. */
export function columnsOf(table: string): string[] {
  const file = new Database(getDatabasePath(), { readonly: true });
  try {
    return (file.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>).map((column) => column.name);
  } finally {
    file.close();
  }
}
