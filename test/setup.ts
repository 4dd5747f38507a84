// Vitest setup file (vitest.config.ts): gives every test file its own throwaway
// database, migrated exactly as production is, before anything imports
// lib/db/client.ts (which reads DATABASE_URL once). A real database, no mocks:
// foreign keys, unique indexes and transactions behave as they do in the app.
// The "sqlite" project gets a SQLite file; the "postgresql" project a database
// of its own on the cluster test/postgres-global-setup.ts started.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, inject } from "vitest";

import { closeAllConnections } from "../lib/db/sqlite-file";
import { applyMigrations } from "../lib/db/migrate";
import { applyPostgresMigrations } from "../lib/db/migrate-postgres";

const MIGRATIONS = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const POSTGRES_MIGRATIONS = fileURLToPath(new URL("../prisma/postgresql/migrations", import.meta.url));

const globalForPrisma = globalThis as unknown as { keycardDatabase?: unknown };
if (globalForPrisma.keycardDatabase) {
  // A client left from another test file would keep talking to that file's database.
  throw new Error("test/setup: a database client already exists in this worker; run vitest with isolation on.");
}

const serverUrl = inject("postgresUrl");
let cleanUp: () => Promise<void>;

if (serverUrl) {
  const name = `keycard_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await applyPostgresMigrations(url.toString(), POSTGRES_MIGRATIONS);
  process.env.DATABASE_URL = url.toString();
  cleanUp = () => adminQuery(serverUrl, `DROP DATABASE ${name} WITH (FORCE)`);
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keycard-test-db-"));
  applyMigrations(path.join(dir, "keycard.db"), MIGRATIONS);
  process.env.DATABASE_URL = `file:${path.join(dir, "keycard.db")}`;
  cleanUp = async () => {
    closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  };
}

afterAll(async () => {
  if (globalForPrisma.keycardDatabase) {
    const { disconnect } = await import("../lib/db/client");
    await disconnect();
  }
  await cleanUp();
});

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
