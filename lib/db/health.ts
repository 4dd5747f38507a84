import "server-only";
import { readNotingAvailability } from "./availability";
import { db, provider } from "./client";
import { POOL_WAIT_MS } from "./postgres";

class ProbeDone extends Error {}

/**
 * Throws unless this process could sign someone in right now: the database is
 * there, migrated and answering, and it takes a write (the write lock, a row
 * changed to itself, rolled back). A look at file permissions would say nothing
 * to root, nothing about locks and nothing about connections already open.
 * Waits at most `lockWaitMs` for another process's lock. PostgreSQL has no
 * such lock: there, a transaction waits to begin only for a pooled connection,
 * which a burst of requests can keep busy for longer (the pool bounds that wait
 * itself, POOL_WAIT_MS), and a busy node is not a node that is down.
 */
export async function checkDatabaseWritable(lockWaitMs: number): Promise<void> {
  await readNotingAvailability(() => db.user.findFirst({ select: { id: true } }));
  try {
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`UPDATE "_prisma_migrations" SET "id" = "id" WHERE "id" = (SELECT MIN("id") FROM "_prisma_migrations")`;
        throw new ProbeDone();
      },
      { maxWait: provider === "postgresql" ? POOL_WAIT_MS + lockWaitMs : lockWaitMs },
    );
  } catch (error) {
    if (!(error instanceof ProbeDone)) throw error;
  }
}
