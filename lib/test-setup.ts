// Vitest setup file (vitest.config.ts): gives every test file its own throwaway
// SQLite database, migrated exactly as production is, before anything imports
// lib/db.ts (which reads DATABASE_URL once). A real file, no mocks: foreign
// keys, unique indexes and transactions behave as they do in the app.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

import { applyMigrations } from "./migrate";
import { closeSqlite } from "./sqlite";

const MIGRATIONS = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const globalForPrisma = globalThis as unknown as { keycardDatabase?: { db: { $disconnect(): Promise<void> } } };
if (globalForPrisma.keycardDatabase) {
  // A client left from another test file would keep talking to that file's database.
  throw new Error("test-setup: a Prisma client already exists in this worker; run vitest with isolation on.");
}

const dir = mkdtempSync(path.join(os.tmpdir(), "keycard-test-db-"));
const databasePath = path.join(dir, "keycard.db");
applyMigrations(databasePath, MIGRATIONS);
process.env.DATABASE_URL = `file:${databasePath}`;

afterAll(async () => {
  await globalForPrisma.keycardDatabase?.db.$disconnect();
  delete globalForPrisma.keycardDatabase;
  closeSqlite();
  rmSync(dir, { recursive: true, force: true });
});
