import { db } from "@/lib/db";
import { probeWrite } from "@/lib/sqlite";
import { isDatabaseUnavailable, logDatabaseUnavailable, RETRY_AFTER_SECONDS } from "@/lib/unavailable";

// A healthy database takes its write lock in microseconds; a check that waits
// longer only holds the event loop (better-sqlite3 waits synchronously).
const WRITE_PROBE_TIMEOUT_MS = 250;

/**
 * For load balancers and uptime checks: can this node sign people in right now?
 * The database is there, migrated and answering (Prisma's connection), and
 * writable (this process's own connection takes the write lock and rolls back,
 * about 11 µs). Read-only or locked counts as down: every sign-in writes, so a
 * node that can only read must leave the rotation. It is a real write attempt,
 * not a look at file permissions: those say nothing to root, nothing about
 * locks, and nothing about connections already open (a chmod does not stop
 * them; see README, "Faults").
 */
export async function GET(): Promise<Response> {
  const headers = { "Cache-Control": "no-store" };
  try {
    await db.user.findFirst({ select: { id: true } });
    probeWrite(WRITE_PROBE_TIMEOUT_MS);
    return Response.json({ status: "ok" }, { headers });
  } catch (error) {
    if (isDatabaseUnavailable(error)) logDatabaseUnavailable(error, "GET /api/health");
    else console.error("keycard: health check failed:", error instanceof Error ? error.message : error);
    return Response.json({ status: "unavailable" }, { status: 503, headers: { ...headers, "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
}
