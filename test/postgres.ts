// Helpers for tests that reach PostgreSQL beside Prisma: a statement on a
// connection of its own, and waits for what the server is doing.
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
 * Resolves once `query` on `url` returns a row, and with it. PostgreSQL
 * signals no event for what tests wait for here (a session queued on a lock, a
 * statement running): the query runs every 20 ms, for `timeoutMs` at most.
 */
export async function waitForRow<Row>(url: string, what: string, query: string, values: unknown[] = [], timeoutMs = 30_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await queryPostgres(url, query, values);
    if (rows.length > 0) return rows[0] as Row;
    if (Date.now() > deadline) throw new Error(`waitForRow: still no ${what} after ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once `count` sessions wait for the advisory lock `key` on the database at `url`. */
export async function waitForLockWaiters(url: string, key: number, count: number): Promise<void> {
  // pg_advisory_lock(bigint) keeps a key below 2^32 in objid.
  await waitForRow(
    url,
    `${count} sessions waiting for lock ${key}`,
    `SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = $1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     HAVING count(*) >= $2`,
    [key, count],
  );
}

/** Resolves once a statement containing `marker` runs on the server at `url`, with its session's process id. */
export async function waitForRunning(url: string, marker: string): Promise<number> {
  const { pid } = await waitForRow<{ pid: number }>(
    url,
    `statement running with "${marker}"`,
    "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0",
    [marker],
  );
  return pid;
}
