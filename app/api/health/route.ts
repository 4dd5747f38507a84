import { checkDatabaseWritable } from "@/lib/db/health";
import { isDatabaseUnavailable, logDatabaseUnavailable, RETRY_AFTER_SECONDS } from "@/lib/unavailable";

// A healthy database takes its write lock in microseconds; a node whose
// database is locked longer than this is as good as down for sign-ins.
const WRITE_PROBE_TIMEOUT_MS = 250;

/**
 * For load balancers and uptime checks: can this node sign people in right now?
 * The database is there, migrated, answering and writable (lib/db/health.ts).
 * Read-only or locked counts as down: every sign-in writes, so a node that can
 * only read must leave the rotation.
 */
export async function GET(): Promise<Response> {
  const headers = { "Cache-Control": "no-store" };
  try {
    await checkDatabaseWritable(WRITE_PROBE_TIMEOUT_MS);
    return Response.json({ status: "ok" }, { headers });
  } catch (error) {
    if (isDatabaseUnavailable(error)) logDatabaseUnavailable(error, "GET /api/health");
    else console.error("keycard: health check failed:", error instanceof Error ? error.message : error);
    return Response.json({ status: "unavailable" }, { status: 503, headers: { ...headers, "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
}
