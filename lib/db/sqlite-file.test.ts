// The process's connection (Prisma's, lib/db/sqlite-adapter.ts) follows the
// file at DATABASE_URL's path: moved away, replaced, restored. Real files, real
// time (the watch looks every FILE_CHECK_INTERVAL_MS).
import Database from "better-sqlite3";
import { existsSync, renameSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDatabasePath } from "../config";
import { clearDatabase, insertUser } from "../../test/db";
import { isDatabaseUnavailable } from "./errors";
import { db } from "./client";
import { checkDatabaseWritable } from "./health";
import { closeAllConnections, FILE_CHECK_INTERVAL_MS } from "./sqlite-file";

const file = getDatabasePath();
const away = `${file}.away`;
const afterCheck = () => sleep(FILE_CHECK_INTERVAL_MS * 2 + 100);

const countUsers = () => db.user.count();

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
    expect(await countUsers()).toBe(1);
    renameSync(file, away);
    await afterCheck();

    // Without the watch the connection would go on writing into the moved file.
    const prismaError = await failure(() => insertUser("while-away"));
    expect(isDatabaseUnavailable(prismaError)).toBe(true);

    renameSync(away, file);
    expect(await db.user.findMany({ select: { username: true } })).toEqual([{ username: "before" }]);
    await insertUser("after");
    expect(await countUsers()).toBe(2);
  });
});

describe("a database file replaced, then restored", () => {
  // Seen before the fix: the -wal file at the path still held the newest rows of
  // the moved file, and the replacement took them as its own.
  it("keeps the rows the restored file had, including the newest", async () => {
    await insertUser("old");
    await insertUser("newest");
    renameSync(file, away);
    writeFileSync(file, "this is not a SQLite database, whatever its name says");
    await afterCheck();
    expect(isDatabaseUnavailable(await failure(countUsers))).toBe(true);

    renameSync(away, file);
    await afterCheck();
    expect((await db.user.findMany({ select: { username: true }, orderBy: { username: "asc" } })).map((user) => user.username)).toEqual([
      "newest",
      "old",
    ]);
  });
});

describe("WAL", () => {
  it("switches a file that arrived in rollback-journal mode (a restored backup) to WAL on first use", async () => {
    closeAllConnections();
    const direct = new Database(file);
    direct.pragma("journal_mode = DELETE");
    direct.close();
    expect(await countUsers()).toBe(0);
    const check = new Database(file, { readonly: true });
    expect(check.pragma("journal_mode", { simple: true })).toBe("wal");
    check.close();
  });

  it("closing the connections (shutdown) folds the WAL into the file: no -wal content left, integrity ok", async () => {
    await insertUser("kept");
    await db.throttle.create({ data: { key: "kept", failures: 1, updatedAt: new Date() } });
    closeAllConnections();
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    const check = new Database(file, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(check.prepare('SELECT username FROM "User"').all()).toEqual([{ username: "kept" }]);
    check.close();
  });
});

describe("checkDatabaseWritable", () => {
  it("passes when the database can be written, and writes nothing", async () => {
    await countUsers();
    const before = statSync(file).mtimeMs;
    await checkDatabaseWritable(100);
    expect(await countUsers()).toBe(0);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("fails as unavailable within its wait while another process holds the write lock; reads go on (WAL)", async () => {
    const holder = new Database(file);
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const error = await failure(() => checkDatabaseWritable(100));
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(await countUsers()).toBe(0);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    await checkDatabaseWritable(5000);
  });
});
