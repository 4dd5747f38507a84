// Waiting for another connection's write lock without stopping the process.
// better-sqlite3 runs SQLite's busy handler on the JavaScript thread: a query
// that waits 5 s for a lock holds every other request for 5 s. Measured with a
// lock held by another process: three sign-ins answered 503 after 5, 10 and
// 15 s, and a page that needs no database waited 15 s. So a connection waits
// only LOCK_POLL_MS inside SQLite, and the rest of the busy timeout is spent
// here, between attempts, where other requests run.

/** The longest a single attempt holds the event loop waiting for a lock. */
export const LOCK_POLL_MS = 50;

/** How long a query waits in all for another connection's write lock before giving up. */
export const BUSY_TIMEOUT_MS = 5000;

type Coded = { code?: unknown; originalCode?: unknown; cause?: unknown };

/** SQLITE_BUSY, from better-sqlite3 (`code`) or from Prisma's adapter (`cause.originalCode`). */
export function isLockTimeout(error: unknown): boolean {
  const fields = (typeof error === "object" && error !== null ? error : {}) as Coded;
  const cause = (typeof fields.cause === "object" && fields.cause !== null ? fields.cause : {}) as Coded;
  return [fields.code, fields.originalCode, cause.originalCode].some((code) => typeof code === "string" && code.startsWith("SQLITE_BUSY"));
}

/**
 * Runs `attempt` until it gets past the lock or `timeoutMs` have passed, pausing
 * (10 ms, doubling up to 250 ms) between tries, then throws its SQLITE_BUSY.
 * Only for work that a lock timeout leaves undone: a single statement outside a
 * transaction, or a whole transaction.
 */
export async function retryWhileLocked<T>(attempt: () => T | Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let pause = 10;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - Date.now();
      if (!isLockTimeout(error) || left <= 0) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      pause = Math.min(pause * 2, 250);
    }
  }
}
