// Vitest setup file (vitest.config.ts): gives every test file its own throwaway
// SQLite database, migrated exactly as production is, before anything imports
// lib/db/client.ts (which reads DATABASE_URL once). A real file, no mocks: foreign
// keys, unique indexes and transactions behave as they do in the app.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

import { closeAllConnections } from "../lib/db/sqlite-file";
import { applyMigrations } from "../lib/db/migrate";

const MIGRATIONS = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const globalForPrisma = globalThis as unknown as { keycardPrisma?: { $disconnect(): Promise<void> } };
if (globalForPrisma.keycardPrisma) {
  // A client left from another test file would keep talking to that file's database.
  throw new Error("test/setup: a Prisma client already exists in this worker; run vitest with isolation on.");
}

const dir = mkdtempSync(path.join(os.tmpdir(), "keycard-test-db-"));
const databasePath = path.join(dir, "keycard.db");
applyMigrations(databasePath, MIGRATIONS);
process.env.DATABASE_URL = `file:${databasePath}`;

afterAll(async () => {
  await globalForPrisma.keycardPrisma?.$disconnect();
  delete globalForPrisma.keycardPrisma;
  closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});
