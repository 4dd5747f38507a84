// "The database cannot be used right now": missing, locked by another process
// for longer than the busy timeout, read-only, unreadable or full, stopped,
// unreachable, out of connections or too slow, as SQLite, better-sqlite3,
// PostgreSQL, pg and Prisma each report it. Every entry point answers that with
// 503 (lib/http/service-unavailable.ts); this file only tells such errors from bugs.
// SQLite result codes (better-sqlite3 names them, extended codes included:
// SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DIRECTORY, SQLITE_IOERR_WRITE, …).
const UNAVAILABLE_SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|IOERR|CORRUPT|NOTADB|FULL|PERM)(_[A-Z_]+)?$/;

// How Prisma reports the same through its driver adapter: P1008 for SQLITE_BUSY
// (the adapter calls it a socket timeout), P2021 for a missing table; the others
// are the connection failures Prisma names for any database.
// P2028: a transaction could not begin in time (another process's lock).
const UNAVAILABLE_PRISMA_CODE = new Set(["P1001", "P1002", "P1003", "P1008", "P1017", "P2021", "P2024", "P2028"]);
// PostgreSQL's SQLSTATEs (pg's DatabaseError.code, the pg adapter's originalCode):
// class 08, connection exceptions; class 53, insufficient resources (53300: too
// many connections, 53100: disk full); 57P01–57P05, the server shutting down,
// starting or the database dropped; 57014, a statement cancelled by
// statement_timeout; 3D000 no such database; 28000/28P01, refused credentials;
// 42P01, an unmigrated database; 25006, a read-only standby; 55P03, a lock not
// available; 40001/40P01, a transaction that lost its race even after retries.
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-5]|57014|3D000|28000|28P01|42P01|25006|55P03|40001|40P01)$/;
// Node's socket errors, as pg throws them when the server is gone or unreachable.
const UNAVAILABLE_SOCKET_CODE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// What pg and its pool say in words only: every connection busy for longer than
// the pool's wait, a connection that could not open in time, or one the server closed.
const UNAVAILABLE_PG_MESSAGE =
  /^(timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end)/;
const UNAVAILABLE_ADAPTER_KIND = new Set([
  "SocketTimeout",
  "TooManyConnections",
  "AuthenticationFailed",
  "TlsConnectionError",
  "TableDoesNotExist",
  "DatabaseDoesNotExist",
  "DatabaseNotReachable",
  "DatabaseAccessDenied",
  "ConnectionClosed",
]);

type ErrorFields = {
  code?: unknown;
  errorCode?: unknown;
  originalCode?: unknown;
  kind?: unknown;
  message?: unknown;
  originalMessage?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
};

function saysUnavailable(fields: ErrorFields): boolean {
  for (const code of [fields.code, fields.errorCode, fields.originalCode]) {
    if (typeof code !== "string") continue;
    if (UNAVAILABLE_SQLITE_CODE.test(code) || UNAVAILABLE_PRISMA_CODE.has(code)) return true;
    if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET_CODE.has(code)) return true;
  }
  if (typeof fields.kind === "string" && UNAVAILABLE_ADAPTER_KIND.has(fields.kind)) return true;
  // An unmigrated or replaced file: SQLite's SQLITE_ERROR says so only in words.
  return [fields.message, fields.originalMessage].some(
    (text) => typeof text === "string" && (text.startsWith("no such table") || UNAVAILABLE_PG_MESSAGE.test(text)),
  );
}

/**
 * True for errors that mean the database is not usable right now, as
 * better-sqlite3 and pg throw them and as Prisma wraps them
 * (PrismaClientKnownRequestError with the adapter's error in `meta`, or the
 * driver's code itself). Follows `cause` chains.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 20) {
    const candidate = pending.pop();
    if (typeof candidate !== "object" || candidate === null || seen.has(candidate)) continue;
    seen.add(candidate);
    const fields = candidate as ErrorFields;
    if (saysUnavailable(fields)) return true;
    pending.push(fields.cause, fields.meta?.driverAdapterError);
  }
  return false;
}

/** The SQLite, PostgreSQL or Prisma code behind an unavailability, for the log (never for the page). */
export function unavailabilityCode(error: unknown): string {
  const fields = (typeof error === "object" && error !== null ? error : {}) as ErrorFields;
  const adapter = fields.meta?.driverAdapterError as { cause?: ErrorFields & { kind?: unknown } } | undefined;
  const code = adapter?.cause?.originalCode ?? adapter?.cause?.kind ?? fields.code ?? fields.errorCode;
  if (typeof code === "string") return code;
  // pg's pool and connection errors have words only: the first few, never a value.
  const message = typeof fields.message === "string" ? fields.message.match(UNAVAILABLE_PG_MESSAGE)?.[0] : undefined;
  return message ?? "unknown";
}

const lastLogged = new Map<string, number>();

/**
 * One log line per code per 10 seconds at most: a database that is down for a
 * minute must not turn every request into a line, or fill the disk it needs.
 */
export function logDatabaseUnavailable(error: unknown, where: string, now = Date.now()): void {
  const code = unavailabilityCode(error);
  const last = lastLogged.get(code);
  if (last !== undefined && now - last < 10_000) return;
  lastLogged.set(code, now);
  console.warn(`keycard: database unavailable (${code}) in ${where}; answering 503`);
}
