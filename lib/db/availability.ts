// Whether the database could not be read a moment ago. A page cannot set its
// own status, so middleware answers a page that would need the database with
// the 503 page while this says so, without a query of its own. The reads every
// page and health check make (the session lookup, /api/health) record here
// whether the database answered. On globalThis: middleware and the app are
// separate bundles in one process.
import { isDatabaseUnavailable } from "./errors";

/** How long one failure stands for, unless a success comes first: the Retry-After clients get. */
export const DOWN_FOR_MS = 5000;

const globalForAvailability = globalThis as unknown as { keycardDatabaseDownUntil?: number | undefined };

/** Runs a read, and notes whether the database answered it. */
export async function readNotingAvailability<T>(read: () => Promise<T>): Promise<T> {
  try {
    const result = await read();
    globalForAvailability.keycardDatabaseDownUntil = undefined;
    return result;
  } catch (error) {
    if (isDatabaseUnavailable(error)) globalForAvailability.keycardDatabaseDownUntil = Date.now() + DOWN_FOR_MS;
    throw error;
  }
}

export function isDatabaseKnownDown(now = Date.now()): boolean {
  const until = globalForAvailability.keycardDatabaseDownUntil;
  return until !== undefined && now < until;
}
