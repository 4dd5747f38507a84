// Applies prisma/postgresql/migrations to a PostgreSQL database exactly as
// `prisma migrate deploy` does, without Prisma's native schema engine (which
// cannot be downloaded on offline machines): the same `_prisma_migrations`
// table, the same rows, and the same advisory lock, so two instances starting
// at once, or this and a real `prisma migrate deploy`, take turns. The
// SQLite twin is lib/db/migrate.ts.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { MigrationError, planMigrations, readMigrations, type MigrateResult } from "./migrate";

// The table as the schema engine creates it for PostgreSQL, byte for byte
// (node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

/** The schema engine's own lock key ("SELECT pg_advisory_lock(72707369)" in its build). */
const MIGRATE_LOCK = 72707369;

export async function applyPostgresMigrations(url: string, migrationsDir: string): Promise<MigrateResult> {
  const migrations = readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: "keycard-migrate" });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK]);
    const { rows: found } = await client.query("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
    if (!found[0].exists) await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query("SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at");
    const { pending, warnings } = planMigrations(rows, migrations);
    const done: string[] = [];
    for (const migration of pending) {
      const id = randomUUID();
      await client.query("INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)", [
        id,
        migration.checksum,
        migration.name,
      ]);
      try {
        // Several statements in one simple query: PostgreSQL runs them as one transaction.
        await client.query(migration.script);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await client.query("UPDATE _prisma_migrations SET logs = $1 WHERE id = $2", [message, id]);
        throw new MigrationError(`Migration "${migration.name}" failed: ${message}`);
      }
      await client.query("UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1", [id]);
      done.push(migration.name);
    }
    return { applied: done, warnings };
  } finally {
    // Ending the connection releases the advisory lock with it.
    await client.end();
  }
}
