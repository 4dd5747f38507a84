// The transactions of lib/db/client.ts under real concurrency: several
// processes counting one throttle key, and serializable transactions that lose
// a race. On whichever database the project runs.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";

import { db, isWriteConflict, provider, transaction, transactionHolding, type Tx } from "./client";
import { statementName } from "./postgres";
import { clearDatabase, failuresOf } from "../../test/db";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

beforeEach(async () => {
  await clearDatabase();
});

/**
 * Starts test/count-throttle.ts in a process of its own on this test file's
 * database; resolves once it is connected, with a function that lets it count
 * and resolves with its exit code and error output.
 */
async function counterProcess(key: string, count: number): Promise<() => Promise<{ code: number | null; stderr: string }>> {
  const child = spawn(
    "node_modules/.bin/tsx",
    ["--conditions=react-server", "test/count-throttle.ts", key, String(count)],
    { cwd: projectRoot, env: process.env, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = once(child, "exit") as Promise<[number | null]>;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.includes("ready\n")) resolve();
    });
    exited.then(([code]) => reject(new Error(`count-throttle exited with ${code} before it was ready: ${stderr}`)), reject);
  });
  return async () => {
    child.stdin.end("go\n");
    const [code] = await exited;
    return { code, stderr };
  };
}

describe("transactionHolding, through updateThrottleRows", () => {
  it("two processes counting one key 50 times each, side by side, count 100: no count lost, no error", async () => {
    const counters = await Promise.all([counterProcess("ip:192.0.2.1", 50), counterProcess("ip:192.0.2.1", 50)]);
    const results = await Promise.all(counters.map((count) => count()));
    // Any error in either ends it with code 1.
    expect(results.map((result) => result.code), results.map((result) => result.stderr).join("\n")).toEqual([0, 0]);
    expect(await failuresOf("ip:192.0.2.1")).toBe(100);
  }, 120_000);
});

// A PostgreSQL setting: SQLite has no isolation levels to choose from.
describe.skipIf(provider !== "postgresql")("transactionHolding on a database whose default isolation is SERIALIZABLE", () => {
  it("still counts every attempt: transactionHolding runs at READ COMMITTED whatever the server's default", async () => {
    // At SERIALIZABLE the lock would be taken after the snapshot: each read
    // would miss the count committed just before, and the write fail with 40001.
    const [{ name }] = await db.$queryRaw<[{ name: string }]>`SELECT current_database() AS name`;
    await db.$executeRawUnsafe(`ALTER DATABASE "${name}" SET default_transaction_isolation TO 'serializable'`);
    try {
      const counters = await Promise.all([counterProcess("ip:192.0.2.2", 30), counterProcess("ip:192.0.2.2", 30)]);
      const results = await Promise.all(counters.map((count) => count()));
      expect(results.map((result) => result.code), results.map((result) => result.stderr).join("\n")).toEqual([0, 0]);
      expect(await failuresOf("ip:192.0.2.2")).toBe(60);
    } finally {
      await db.$executeRawUnsafe(`ALTER DATABASE "${name}" RESET default_transaction_isolation`);
    }
  }, 120_000);
});

// Named statements are the pg pool's; SQLite's adapter keeps a statement cache of its own.
const notPostgres = provider === "postgresql" ? null : "statement names are PostgreSQL's";

describe.skipIf(notPostgres !== null)(`Prisma's queries on PostgreSQL${notPostgres ? ` (skipped: ${notPostgres})` : ""}`, () => {
  it("are prepared once per connection, under a name made from their text", async () => {
    // One transaction: one connection, whose prepared statements the view lists.
    const [before, after] = await db.$transaction(async (tx) => {
      const prepared = () => tx.$queryRaw<Array<{ name: string; statement: string }>>`SELECT name, statement FROM pg_prepared_statements`;
      await tx.throttle.findMany({ where: { key: "never-counted" } });
      const before = await prepared();
      await tx.throttle.findMany({ where: { key: "nor-this" } });
      return [before, await prepared()];
    });
    const query = before.find(({ statement }) => statement.startsWith('SELECT "public"."Throttle"'));
    expect(query, "Prisma's query among the connection's prepared statements").toBeDefined();
    expect(query!.name).toBe(statementName({ sql: query!.statement }));
    // The same text again prepared nothing new.
    expect(after).toHaveLength(before.length);
    for (const { name, statement } of after) expect(name).toBe(statementName({ sql: statement }));
  });
});

describe("transactionHolding, several keys", () => {
  it("takes them in one order whatever order they are given in: crossing transactions never deadlock", async () => {
    // Each holds its first key while the other may be taking it: locks taken in
    // the order given would deadlock ([a, b] against [b, a]), and PostgreSQL
    // would end one of each pair with 40P01 after a second.
    const order: string[] = [];
    const hold = (keys: string[], label: string) =>
      transactionHolding(keys, async (tx) => {
        order.push(`${label} in`);
        await tx.throttle.findMany({ where: { key: { in: keys } } });
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push(`${label} out`);
      });
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? hold(["a", "b", "a"], `ab${i}`) : hold(["b", "a"], `ba${i}`))));
    // And they held: no two were inside at once.
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i]!.replace(" in", " out"));
  }, 60_000);
});

// SQLite takes its write lock as a transaction begins, so two transactions
// never both read before either writes: there is no lost race to provoke.
const noRace = provider === "postgresql" ? null : "SQLite's transactions take turns from their start";

describe.skipIf(noRace !== null)(`a serializable transaction that loses a race${noRace ? ` (skipped: ${noRace})` : ""}`, () => {
  const KEY = "race";

  /**
   * Two read-then-write transactions on one row that both read before either
   * writes: PostgreSQL refuses the second write (40001, Prisma's P2034).
   * Returns the race, which counts how often the work ran.
   */
  function raceOnOneRow() {
    let readers = 0;
    let bothRead!: () => void;
    const reads = new Promise<void>((resolve) => (bothRead = resolve));
    const race = {
      runs: 0,
      async increment(tx: Tx): Promise<void> {
        race.runs++;
        const row = await tx.throttle.findUniqueOrThrow({ where: { key: KEY } });
        if (++readers === 2) bothRead();
        // Only the first two runs wait here: a run again finds it open.
        await reads;
        await tx.throttle.update({ where: { key: KEY }, data: { failures: row.failures + 1 } });
      },
    };
    return race;
  }

  beforeEach(async () => {
    await db.throttle.create({ data: { key: KEY, failures: 0, updatedAt: new Date() } });
  });

  it("is refused with P2034 when nothing runs it again", async () => {
    const race = raceOnOneRow();
    const results = await Promise.allSettled([1, 2].map(() => db.$transaction((tx) => race.increment(tx), { isolationLevel: "Serializable" })));
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((result) => result.status === "rejected");
    expect(isWriteConflict(refused?.reason)).toBe(true);
    expect(await failuresOf(KEY)).toBe(1);
  });

  it("is run again by transaction() and succeeds: both counts kept", async () => {
    const race = raceOnOneRow();
    await Promise.all([transaction((tx) => race.increment(tx)), transaction((tx) => race.increment(tx))]);
    expect(race.runs).toBe(3);
    expect(await failuresOf(KEY)).toBe(2);
  });
});
