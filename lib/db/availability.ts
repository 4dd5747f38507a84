// Whether the database was found unusable a moment ago. A page cannot set its
// own status, so middleware answers a page that would need the database with
// the 503 page while this says so, without a query of its own (lib/db/*
// records every failure and success here). On globalThis: middleware and the
// app are separate bundles in one process.

/** How long one failure stands for, unless a success comes first: the Retry-After clients get. */
export const DOWN_FOR_MS = 5000;

const globalForAvailability = globalThis as unknown as { keycardDatabaseDownUntil?: number | undefined };

export function recordDatabaseDown(now = Date.now()): void {
  globalForAvailability.keycardDatabaseDownUntil = now + DOWN_FOR_MS;
}

export function recordDatabaseUp(): void {
  globalForAvailability.keycardDatabaseDownUntil = undefined;
}

export function isDatabaseKnownDown(now = Date.now()): boolean {
  const until = globalForAvailability.keycardDatabaseDownUntil;
  return until !== undefined && now < until;
}
