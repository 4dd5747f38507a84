// Applies prisma/migrations to a SQLite file exactly as `prisma migrate deploy`
// does, without Prisma's native schema engine (which cannot be downloaded on
// offline machines). The bookkeeping in `_prisma_migrations` matches the
// engine's, so a real `prisma migrate deploy` / `migrate status` on a connected
// machine sees the same history and agrees.
import Database from "better-sqlite3";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

// The table as the schema engine creates it for SQLite, byte for byte (SQLite
// keeps this text in sqlite_master; see node_modules/prisma/build/schema_engine_bg.wasm).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);
`;

export class MigrationError extends Error {
  override name = "MigrationError";
}

export type Migration = { name: string; script: string; checksum: string };

export type MigrateResult = { applied: string[]; warnings: string[] };

/** Migration folders in name order, as Prisma reads them. */
export function readMigrations(migrationsDir: string): Migration[] {
  if (!existsSync(migrationsDir)) throw new MigrationError(`No migrations folder at ${migrationsDir}.`);
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const script = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, script, checksum: createHash("sha256").update(script).digest("hex") };
    });
}

type AppliedRow = {
  migration_name: string;
  checksum: string;
  finished_at: number | null;
  rolled_back_at: number | null;
};

export function applyMigrations(databasePath: string, migrationsDir: string, now: () => number = Date.now): MigrateResult {
  const migrations = readMigrations(migrationsDir);
  mkdirSync(path.dirname(databasePath), { recursive: true });
  const db = new Database(databasePath);
  try {
    // WAL lets readers (the running app) carry on while a writer works.
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    return applyPending(db, migrations, now);
  } finally {
    db.close();
  }
}

function applyPending(db: Database.Database, migrations: Migration[], now: () => number): MigrateResult {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
  if (!exists) db.exec(CREATE_MIGRATIONS_TABLE);

  const rows = db
    .prepare("SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at")
    .all() as AppliedRow[];
  const { pending, warnings } = planMigrations(rows, migrations);

  const insert = db.prepare(
    "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, 0)",
  );
  const finish = db.prepare("UPDATE _prisma_migrations SET finished_at = ?, applied_steps_count = 1 WHERE id = ?");
  const fail = db.prepare("UPDATE _prisma_migrations SET logs = ? WHERE id = ?");

  const done: string[] = [];
  for (const migration of pending) {
    const id = randomUUID();
    insert.run(id, migration.checksum, migration.name, now());
    try {
      db.exec(migration.script);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      fail.run(message, id);
      throw new MigrationError(`Migration "${migration.name}" failed: ${message}`);
    }
    finish.run(now(), id);
    done.push(migration.name);
  }
  return { applied: done, warnings };
}

/**
 * What `prisma migrate deploy` would do with this history, for either database:
 * the migrations not applied yet, in name order, and warnings about the ones
 * applied. Throws, as Prisma does (P3009), when one started and neither
 * finished nor was marked rolled back: the schema is in an unknown state, and
 * a person must look first.
 */
export function planMigrations(
  rows: Array<{ migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown }>,
  migrations: Migration[],
): { pending: Migration[]; warnings: string[] } {
  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration "${failed.migration_name}" failed earlier and the database may be half-migrated. ` +
        "Fix it by hand, then mark it with `prisma migrate resolve` or delete its row in _prisma_migrations.",
    );
  }
  const applied = new Map(rows.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row]));
  const warnings: string[] = [];
  for (const [name, row] of applied) {
    const local = migrations.find((migration) => migration.name === name);
    if (!local) warnings.push(`Migration "${name}" is in the database but not in the migrations folder.`);
    else if (local.checksum !== row.checksum) warnings.push(`Migration "${name}" was modified after it was applied.`);
  }
  return { pending: migrations.filter((candidate) => !applied.has(candidate.name)), warnings };
}
