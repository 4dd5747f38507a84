import "server-only";
import { db, transactionHolding } from "./client";

/** One throttle counter (lib/auth/throttle.ts says what the keys and rules are). */
export type ThrottleRow = { key: string; failures: number; blockedUntil: Date | null; updatedAt: Date };

/**
 * Reads the counters of `keys` (null where there is none), lets `decide` say
 * what they become, and writes that, in one transaction holding the keys: two
 * processes counting the same key at once both count, one after the other.
 */
export async function updateThrottleRows<T>(
  keys: string[],
  decide: (rows: Array<ThrottleRow | null>) => { write: ThrottleRow[]; remove: string[]; result: T },
): Promise<T> {
  return transactionHolding(keys, async (tx) => {
    const found = await tx.throttle.findMany({ where: { key: { in: keys } } });
    const byKey = new Map(found.map((row) => [row.key, row]));
    const { write, remove, result } = decide(keys.map((key) => byKey.get(key) ?? null));
    for (const row of write) await tx.throttle.upsert({ where: { key: row.key }, create: row, update: row });
    if (remove.length > 0) await tx.throttle.deleteMany({ where: { key: { in: remove } } });
    return result;
  });
}

/** Deletes counters last counted before `before` that no longer block at `now`. */
export async function deleteIdleThrottleRows(before: Date, now: Date): Promise<number> {
  const { count } = await db.throttle.deleteMany({
    where: { updatedAt: { lt: before }, OR: [{ blockedUntil: null }, { blockedUntil: { lt: now } }] },
  });
  return count;
}
