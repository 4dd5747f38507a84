// The process's two connections (lib/sqlite.ts and Prisma's) follow the file at
// DATABASE_URL's path: moved away, replaced, restored. Real files, real time
// (the watch looks every FILE_CHECK_INTERVAL_MS).
import Database from "better-sqlite3";
import { existsSync, renameSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAllConnections, FILE_CHECK_INTERVAL_MS } from "./database-file";
import { getDatabasePath } from "./database-path";
import { db } from "./db";
import { probeWrite, statement } from "./sqlite";
import { clearDatabase, insertUser } from "./test-db";
import { isDatabaseUnavailable, unavailabilityCode } from "./unavailable";

const file = getDatabasePath();
const away = `${file}.away`;
const afterCheck = () => sleep(FILE_CHECK_INTERVAL_MS * 2 + 100);

const countUsers = () => (statement('SELECT count(*) AS n FROM "User"').get() as { n: number }).n;

async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return null;
}

beforeEach(async () => {
  await clearDatabase();
});

afterEach(() => {
  if (existsSync(away) && !existsSync(file)) renameSync(away, file);
});

describe("a database file moved away while the server runs", () => {
  it("fails as unavailable instead of writing into the moved file, and comes back with it", async () => {
    await insertUser("before");
    expect(countUsers()).toBe(1);
    renameSync(file, away);
    await afterCheck();

    // Without the watch both connections would go on writing into the moved file.
    const rawError = await failure(() => statement('INSERT INTO "Throttle" (key, failures, updatedAt) VALUES (?, 1, ?)').run("k", "x"));
    expect(unavailabilityCode(rawError)).toBe("SQLITE_CANTOPEN");
    const prismaError = await failure(() => insertUser("while-away"));
    expect(isDatabaseUnavailable(prismaError)).toBe(true);

    renameSync(away, file);
    expect(countUsers()).toBe(1);
    expect(await db.user.findMany({ select: { username: true } })).toEqual([{ username: "before" }]);
    await insertUser("after");
    expect(countUsers()).toBe(2);
  });
});

describe("a database file replaced, then restored", () => {
  // Seen before the fix: the -wal file at the path still held the newest rows of
  // the moved file, and the replacement took them as its own.
  it("keeps the rows the restored file had, including the newest", async () => {
    await insertUser("old");
    statement('INSERT INTO "User" (username, passwordHash, updatedAt) VALUES (?, ?, ?)').run("newest", "x", "2026-01-01");
    renameSync(file, away);
    writeFileSync(file, "this is not a SQLite database, whatever its name says");
    await afterCheck();
    expect(unavailabilityCode(await failure(countUsers))).toBe("SQLITE_NOTADB");
    expect(isDatabaseUnavailable(await failure(() => db.user.count()))).toBe(true);

    renameSync(away, file);
    await afterCheck();
    expect((await db.user.findMany({ select: { username: true }, orderBy: { username: "asc" } })).map((user) => user.username)).toEqual([
      "newest",
      "old",
    ]);
    expect(countUsers()).toBe(2);
  });
});

describe("WAL", () => {
  it("switches a file that arrived in rollback-journal mode (a restored backup) to WAL on first use", async () => {
    closeAllConnections();
    const direct = new Database(file);
    direct.pragma("journal_mode = DELETE");
    direct.close();
    expect(countUsers()).toBe(0);
    const check = new Database(file, { readonly: true });
    expect(check.pragma("journal_mode", { simple: true })).toBe("wal");
    check.close();
  });

  it("closing the connections (shutdown) folds the WAL into the file: no -wal content left, integrity ok", async () => {
    await insertUser("kept");
    statement('INSERT INTO "Throttle" (key, failures, updatedAt) VALUES (?, 1, ?)').run("kept", "2026-01-01");
    closeAllConnections();
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    const check = new Database(file, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(check.prepare('SELECT username FROM "User"').all()).toEqual([{ username: "kept" }]);
    check.close();
  });
});

describe("probeWrite", () => {
  it("passes when the database can be written, and writes nothing", () => {
    const before = statSync(file).mtimeMs;
    probeWrite(100);
    expect(countUsers()).toBe(0);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("throws SQLITE_BUSY within its timeout while another process holds the write lock; reads go on (WAL)", () => {
    const holder = new Database(file);
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const started = performance.now();
      let error: unknown = null;
      try {
        probeWrite(100);
      } catch (caught) {
        error = caught;
      }
      expect(unavailabilityCode(error)).toBe("SQLITE_BUSY");
      expect(performance.now() - started).toBeLessThan(1000);
      expect(countUsers()).toBe(0);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    probeWrite(100);
  });
});
