import "server-only";
import { isDatabaseUnavailable, logDatabaseUnavailable } from "../db/errors";
import { checkDatabaseWritable } from "../db/health";

// A healthy database takes its write lock in microseconds; a node whose
// database is locked longer than this is as good as down for sign-ins.
const WRITE_PROBE_TIMEOUT_MS = 250;

/**
 * Can this node sign people in right now? The database is there, migrated,
 * answering and writable (lib/db/health.ts). Read-only or locked counts as
 * down: every sign-in writes, so a node that can only read must leave the
 * load balancer's rotation.
 */
export async function isReadyForSignIns(): Promise<boolean> {
  try {
    await checkDatabaseWritable(WRITE_PROBE_TIMEOUT_MS);
    return true;
  } catch (error) {
    if (isDatabaseUnavailable(error)) logDatabaseUnavailable(error, "GET /api/health");
    else console.error("keycard: health check failed:", error instanceof Error ? error.message : error);
    return false;
  }
}
