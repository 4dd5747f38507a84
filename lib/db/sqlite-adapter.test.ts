// Prisma transactions on the app's one SQLite connection: isolated from the
// process's other queries, and waiting for other processes' locks without
// stopping this one.
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDatabasePath } from "../config";
import { db } from "./client";
import { clearDatabase } from "../../test/db";

let holder: Database.Database | null = null;

/** Another process's connection takes the write lock, and gives it back after `ms`. */
function holdWriteLock(ms: number): void {
  holder = new Database(getDatabasePath());
  holder.exec("BEGIN IMMEDIATE");
  setTimeout(() => {
    if (holder?.inTransaction) holder.exec("ROLLBACK");
    holder?.close();
    holder = null;
  }, ms);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const usernames = async () => (await db.user.findMany({ orderBy: { username: "asc" } })).map((user) => user.username);

beforeEach(async () => {
  await clearDatabase();
});

afterEach(async () => {
  while (holder) await sleep(20);
});

describe("a Prisma transaction", () => {
  it("never takes in another request's write: a rollback undoes only its own", async () => {
    await db.user.create({ data: { username: "outside", passwordHash: "before" } });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const rolledBack = db.$transaction(async (tx) => {
      await tx.user.create({ data: { username: "inside", passwordHash: "x" } });
      opened();
      // Another request writes while this transaction is open…
      await sleep(50);
      throw new Error("roll back");
    });
    await open;
    const outside = db.$executeRaw`UPDATE "User" SET "passwordHash" = 'after' WHERE "username" = 'outside'`;
    await expect(rolledBack).rejects.toThrow("roll back");
    await outside;
    // …and that write is its own. (Prisma itself wraps each write in a
    // transaction, which already waited for this one; reads it does not wrap:
    // the next test.)
    expect(await usernames()).toEqual(["outside"]);
    expect((await db.user.findUnique({ where: { username: "outside" } }))?.passwordHash).toBe("after");
  });

  it("never lets another request's read see what it has not committed", async () => {
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const committed = db.$transaction(async (tx) => {
      await tx.user.create({ data: { username: "pending", passwordHash: "x" } });
      opened();
      await sleep(50);
      throw new Error("roll back");
    });
    await open;
    const seen = await usernames();
    await expect(committed).rejects.toThrow();
    expect(seen).toEqual([]);
  });

  it("runs after another one, not interleaved with it", async () => {
    const order: string[] = [];
    const first = db.$transaction(async (tx) => {
      order.push("first begins");
      await tx.user.create({ data: { username: "first", passwordHash: "x" } });
      await sleep(30);
      order.push("first ends");
    });
    const second = db.$transaction(async (tx) => {
      order.push("second begins");
      await tx.user.create({ data: { username: "second", passwordHash: "x" } });
      order.push("second ends");
    });
    await Promise.all([first, second]);
    expect(order).toEqual(["first begins", "first ends", "second begins", "second ends"]);
  });

  it("waits for another process's write lock, while this process's reads go on", async () => {
    await db.user.create({ data: { username: "existing", passwordHash: "x" } });
    holdWriteLock(300);
    const order: string[] = [];
    const transaction = db
      .$transaction(async (tx) => {
        await tx.user.create({ data: { username: "after-lock", passwordHash: "x" } });
      })
      .then(() => order.push("transaction"));
    await sleep(20);
    const read = usernames().then((names) => order.push(`read ${names.join(",")}`));
    await Promise.all([transaction, read]);
    expect(order).toEqual(["read existing", "transaction"]);
    expect(await usernames()).toEqual(["after-lock", "existing"]);
  });
});
