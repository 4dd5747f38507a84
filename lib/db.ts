import "server-only";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/prisma/client";
import { getDatabasePath } from "./database-path";

// One client per process. `next dev` re-evaluates modules on every edit, so the
// client is parked on globalThis there to avoid opening a new connection each time.
const globalForPrisma = globalThis as unknown as { keycardPrisma?: PrismaClient };

function createClient(): PrismaClient {
  // fileMustExist: a missing file is an error (503), not a new empty database;
  // migrations create it (npm start, npm run dev, npm run db:migrate).
  const adapter = new PrismaBetterSqlite3({ url: getDatabasePath(), timeout: 5000, fileMustExist: true });
  return new PrismaClient({ adapter });
}

export const db = globalForPrisma.keycardPrisma ?? createClient();

if (process.env.NODE_ENV !== "production") globalForPrisma.keycardPrisma = db;
