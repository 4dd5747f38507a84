import "server-only";
import { PrismaClient } from "./generated/prisma/client";
import { getDatabasePath } from "./database-path";
import { ReopeningSqliteAdapter } from "./reopening-adapter";

type Client = { db: PrismaClient; adapter: ReopeningSqliteAdapter };

// One client per process. `next dev` re-evaluates modules on every edit, so the
// client is parked on globalThis there to avoid opening a new connection each time.
const globalForPrisma = globalThis as unknown as { keycardDatabase?: Client };

function createClient(): Client {
  // Reopens its connection when the file is moved, replaced or made writable
  // again, so the app recovers from those without a restart.
  const adapter = new ReopeningSqliteAdapter(getDatabasePath());
  return { db: new PrismaClient({ adapter }), adapter };
}

const client = globalForPrisma.keycardDatabase ?? createClient();
if (process.env.NODE_ENV !== "production") globalForPrisma.keycardDatabase = client;

export const db = client.db;

/** Closes Prisma's connection synchronously (for a process 'exit' handler); the next query reopens it. */
export function closeDbNow(): void {
  client.adapter.closeNow();
}
