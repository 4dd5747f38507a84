// Waiting for another connection's lock must leave the event loop free. The
// lock here is released by a timer: with SQLite waiting synchronously (the
// plain busy timeout), that timer could not fire before the wait gave up.
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDatabasePath } from "../config";
import { db } from "./client";
import { clearDatabase } from "../../test/db";
import { isDatabaseUnavailable, unavailabilityCode } from "./errors";

let holder: Database.Database | null = null;

/** Another connection takes the write lock, and gives it back after `ms` (or never). */
function holdWriteLock(ms: number | null): void {
  holder = new Database(getDatabasePath());
  holder.exec("BEGIN EXCLUSIVE");
  if (ms !== null) setTimeout(releaseWriteLock, ms);
}

function releaseWriteLock(): void {
  if (holder?.inTransaction) holder.exec("ROLLBACK");
  holder?.close();
  holder = null;
}

/** The longest the event loop was held while `work` ran, sampled every 10 ms. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  const [result] = await Promise.allSettled([work()]);
  // A stall just before the end is seen here: the promise settles before the next tick.
  stallMs = Math.max(stallMs, performance.now() - last);
  clearInterval(sampler);
  return { result: result as PromiseSettledResult<T>, stallMs };
}

beforeEach(async () => {
  await clearDatabase();
});

afterEach(() => {
  releaseWriteLock();
});

describe("Prisma's connection, outside a transaction", () => {
  it("gives up with SQLITE_BUSY after the busy timeout, the event loop free all along", async () => {
    await db.user.count();
    holdWriteLock(null);
    const started = performance.now();
    const { result, stallMs } = await longestStall(() => db.throttle.create({ data: { key: "never", failures: 1, updatedAt: new Date() } }));
    expect(result.status).toBe("rejected");
    const error = result.status === "rejected" ? result.reason : null;
    expect(unavailabilityCode(error)).toBe("SQLITE_BUSY");
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4900);
    expect(stallMs).toBeLessThan(200);
  });
});

describe("Prisma's connection", () => {
  it("waits for a lock released after 300 ms without holding the event loop, then writes", async () => {
    await db.user.count();
    holdWriteLock(300);
    const { result, stallMs } = await longestStall(() => db.user.create({ data: { username: "waited", passwordHash: "x" } }));
    expect(result.status).toBe("fulfilled");
    expect(stallMs).toBeLessThan(200);
    expect(await db.user.count()).toBe(1);
  });
});
