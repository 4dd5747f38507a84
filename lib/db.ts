import "server-only";
import { PrismaClient } from "./generated/prisma/client";
import { getDatabasePath } from "./database-path";
import { ReopeningSqliteAdapter } from "./reopening-adapter";

// One client per process. `next dev` re-evaluates modules on every edit, so the
// client is parked on globalThis there to avoid opening a new connection each time.
const globalForPrisma = globalThis as unknown as { keycardPrisma?: PrismaClient };

function createClient(): PrismaClient {
  // Reopens its connection when the file is moved, replaced or made writable
  // again, so the app recovers from those without a restart (lib/database-file.ts).
  return new PrismaClient({ adapter: new ReopeningSqliteAdapter(getDatabasePath()) });
}

export const db = globalForPrisma.keycardPrisma ?? createClient();

if (process.env.NODE_ENV !== "production") globalForPrisma.keycardPrisma = db;
