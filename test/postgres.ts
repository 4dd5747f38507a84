// Helpers for tests that reach PostgreSQL beside Prisma: a statement on a
// connection of its own, and a wait for sessions that queue on a lock.
import pg from "pg";

/** Runs `sql` on a connection of its own to `url`; without `values`, several statements may follow one another. */
export async function queryPostgres(url: string, sql: string, values?: unknown[]): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/**
 * Resolves once `count` sessions wait for the advisory lock `key` on the
 * database at `url`. PostgreSQL signals no such event: pg_locks is read every
 * 20 ms, for `timeoutMs` at most.
 */
export async function waitForLockWaiters(url: string, key: number, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // pg_advisory_lock(bigint) keeps a key below 2^32 in objid.
    const { rows } = await queryPostgres(
      url,
      `SELECT count(*)::int AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = $1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [key],
    );
    const waiting = (rows[0] as { waiting: number }).waiting;
    if (waiting >= count) return;
    if (Date.now() > deadline) throw new Error(`waitForLockWaiters: ${waiting} of ${count} sessions waiting for lock ${key} after ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
