// lib/db/migrate-postgres.ts applies migrations as `prisma migrate deploy`
// does, offline. Here it is held to Prisma's own schema engine (the
// WebAssembly build the CLI ships, driven through the pg adapter as
// scripts/schema-diff.ts does), each test on scratch databases of the run's
// cluster: the engine must take what the runner wrote for its own, and the
// runner what the engine wrote. PostgreSQL only (vitest.config.ts).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";

import { MigrationError } from "./migrate";
import { applyPostgresMigrations } from "./migrate-postgres";
import { POSTGRES_MIGRATIONS_DIR } from "../../scripts/postgres-schema";
import { readMigrationsList, withPostgresEngine, withScratchDatabase } from "../../scripts/schema-diff";
import { queryPostgres, waitForLockWaiters } from "../../test/postgres";

const serverUrl = inject("postgresUrl");

/** The schema engine's lock, which lib/db/migrate-postgres.ts takes too. */
const MIGRATE_LOCK = 72707369;
const NO_FILTERS = { externalTables: [], externalEnums: [] };

const CREATE_A = 'CREATE TABLE "A" ("id" INTEGER NOT NULL PRIMARY KEY);\n';
const CREATE_B = '-- Ünïcode comment, so the checksum covers UTF-8\nCREATE TABLE "B" ("id" INTEGER NOT NULL PRIMARY KEY);\n';
const CREATE_C = 'CREATE TABLE "C" ("bId" INTEGER NOT NULL REFERENCES "B"("id"));\n';

let migrationsDir: string;

beforeEach(() => {
  migrationsDir = mkdtempSync(path.join(os.tmpdir(), "keycard-migrate-postgres-"));
});

afterEach(() => {
  rmSync(migrationsDir, { recursive: true, force: true });
});

function addMigration(name: string, script: string): void {
  mkdirSync(path.join(migrationsDir, name), { recursive: true });
  writeFileSync(path.join(migrationsDir, name, "migration.sql"), script);
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

type Row = {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
};

async function rows(url: string): Promise<Row[]> {
  return (await queryPostgres(url, "SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name")).rows;
}

async function tables(url: string): Promise<string[]> {
  const { rows } = await queryPostgres(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name");
  return rows.map((row: { table_name: string }) => row.table_name);
}

/** _prisma_migrations as the catalogue describes it: each column's type, length, nullability and default, and the primary key. */
async function migrationsTableShape(url: string) {
  const { rows: columns } = await queryPostgres(
    url,
    `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
  );
  const { rows: key } = await queryPostgres(
    url,
    `SELECT kcu.column_name FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
      WHERE tc.table_name = '_prisma_migrations' AND tc.constraint_type = 'PRIMARY KEY'`,
  );
  return { columns, primaryKey: key.map((column: { column_name: string }) => column.column_name) };
}

// What Prisma's CLI asks the engine, over the migrations in `dir`.

/** `prisma migrate deploy`: the migrations it applies to `url`. */
async function engineDeploys(url: string, dir = migrationsDir): Promise<string[]> {
  const migrationsList = await readMigrationsList(dir, "postgresql");
  const { appliedMigrationNames } = await withPostgresEngine(url, (engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTERS }));
  return appliedMigrationNames;
}

/** `prisma migrate status`: what it finds pending, failed or edited. */
async function engineStatus(url: string, dir = migrationsDir) {
  const migrationsList = await readMigrationsList(dir, "postgresql");
  return withPostgresEngine(url, (engine) => engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }));
}

/** `prisma migrate dev`'s check: the migrations replayed into a shadow database against `url`'s schema; "createMigration" when no drift. */
async function engineDevCheck(url: string, dir = migrationsDir) {
  const migrationsList = await readMigrationsList(dir, "postgresql");
  return withPostgresEngine(url, (engine) => engine.devDiagnostic({ migrationsList, filters: NO_FILTERS }));
}

const IN_STEP = { editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null };

describe("applyPostgresMigrations", () => {
  it("creates _prisma_migrations with the schema engine's column types, as the engine itself creates it", async () => {
    addMigration("20300101000000_a", CREATE_A);
    await withScratchDatabase(serverUrl, async (ours) => {
      await applyPostgresMigrations(ours, migrationsDir);
      const shape = await migrationsTableShape(ours);
      expect(shape).toEqual({
        columns: [
          { column_name: "id", data_type: "character varying", character_maximum_length: 36, is_nullable: "NO", column_default: null },
          { column_name: "checksum", data_type: "character varying", character_maximum_length: 64, is_nullable: "NO", column_default: null },
          { column_name: "finished_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "YES", column_default: null },
          { column_name: "migration_name", data_type: "character varying", character_maximum_length: 255, is_nullable: "NO", column_default: null },
          { column_name: "logs", data_type: "text", character_maximum_length: null, is_nullable: "YES", column_default: null },
          { column_name: "rolled_back_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "YES", column_default: null },
          { column_name: "started_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "NO", column_default: "now()" },
          { column_name: "applied_steps_count", data_type: "integer", character_maximum_length: null, is_nullable: "NO", column_default: "0" },
        ],
        primaryKey: ["id"],
      });
      await withScratchDatabase(serverUrl, async (theirs) => {
        await engineDeploys(theirs);
        expect(await migrationsTableShape(theirs)).toEqual(shape);
      });
    });
  });

  it("records one row per migration with its script's SHA-256, which the engine takes as its own", async () => {
    addMigration("20300101000000_a", CREATE_A);
    addMigration("20300102000000_b", CREATE_B);
    await withScratchDatabase(serverUrl, async (url) => {
      expect(await applyPostgresMigrations(url, migrationsDir)).toEqual({ applied: ["20300101000000_a", "20300102000000_b"], warnings: [] });

      expect(await tables(url)).toEqual(["A", "B", "_prisma_migrations"]);
      const recorded = await rows(url);
      expect(recorded.map((row) => [row.migration_name, row.checksum])).toEqual([
        ["20300101000000_a", sha256(CREATE_A)],
        ["20300102000000_b", sha256(CREATE_B)],
      ]);
      for (const row of recorded) {
        expect(row).toMatchObject({ applied_steps_count: 1, logs: null, rolled_back_at: null });
        expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      }
      expect(new Set(recorded.map((row) => row.id)).size).toBe(2);

      expect(await engineStatus(url)).toEqual(IN_STEP);
      expect(await engineDeploys(url)).toEqual([]);
    });
  });

  it("applies nothing on a second run, and then only what is new, in name order", async () => {
    addMigration("20300101000000_a", CREATE_A);
    await withScratchDatabase(serverUrl, async (url) => {
      await applyPostgresMigrations(url, migrationsDir);
      const before = await rows(url);
      expect(await applyPostgresMigrations(url, migrationsDir)).toEqual({ applied: [], warnings: [] });
      expect(await rows(url)).toEqual(before);

      // Created out of name order: Prisma applies by folder name, not by age.
      addMigration("20300103000000_c", CREATE_C);
      addMigration("20300102000000_b", CREATE_B);
      expect((await applyPostgresMigrations(url, migrationsDir)).applied).toEqual(["20300102000000_b", "20300103000000_c"]);
      expect(await engineStatus(url)).toEqual(IN_STEP);
    });
  });

  it("records a failed migration, keeps none of its statements, and refuses to go on, as the engine does (P3009)", async () => {
    const BROKEN = "20300102000000_broken";
    addMigration("20300101000000_a", CREATE_A);
    addMigration(BROKEN, 'CREATE TABLE "Half" ("id" INTEGER);\nCREATE TABLE "Broken" (;\n');
    addMigration("20300103000000_c", 'CREATE TABLE "C" ("id" INTEGER);\n');
    await withScratchDatabase(serverUrl, async (url) => {
      await expect(applyPostgresMigrations(url, migrationsDir)).rejects.toThrow(MigrationError);

      const broken = (await rows(url)).find((row) => row.migration_name === BROKEN);
      expect(broken).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
      expect(broken?.logs).toMatch(/syntax error/);
      // The script ran as one transaction: its first table went with it. The
      // migration before stays applied; the one after never ran.
      expect(await tables(url)).toEqual(["A", "_prisma_migrations"]);

      expect(await engineStatus(url)).toMatchObject({ failedMigrationNames: [BROKEN], editedMigrationNames: [] });
      await expect(engineDeploys(url)).rejects.toThrow(/P3009|failed migrations/);

      // Even once the script is fixed, a person must look first.
      writeFileSync(path.join(migrationsDir, BROKEN, "migration.sql"), 'CREATE TABLE "Broken" ("id" INTEGER);\n');
      await expect(applyPostgresMigrations(url, migrationsDir)).rejects.toThrow(new RegExp(`${BROKEN}.*failed.*prisma migrate resolve`));
      expect(await tables(url)).toEqual(["A", "_prisma_migrations"]);
    });
  });

  it("warns when an applied migration was modified afterwards, which the engine reports as edited", async () => {
    addMigration("20300101000000_a", CREATE_A);
    await withScratchDatabase(serverUrl, async (url) => {
      await applyPostgresMigrations(url, migrationsDir);
      writeFileSync(path.join(migrationsDir, "20300101000000_a", "migration.sql"), CREATE_A + "-- edited\n");

      expect(await applyPostgresMigrations(url, migrationsDir)).toEqual({
        applied: [],
        warnings: [expect.stringMatching(/20300101000000_a.*modified/)],
      });
      expect(await engineStatus(url)).toEqual({ ...IN_STEP, editedMigrationNames: ["20300101000000_a"] });
    });
  });

  it("warns about an applied migration missing from the folder, which the engine misses too", async () => {
    addMigration("20300101000000_a", CREATE_A);
    addMigration("20300102000000_b", CREATE_B);
    await withScratchDatabase(serverUrl, async (url) => {
      await applyPostgresMigrations(url, migrationsDir);
      rmSync(path.join(migrationsDir, "20300102000000_b"), { recursive: true });

      expect(await applyPostgresMigrations(url, migrationsDir)).toEqual({
        applied: [],
        warnings: [expect.stringMatching(/20300102000000_b.*not in the migrations folder/)],
      });
      expect((await engineStatus(url)).history).toEqual({ diagnostic: "migrationsDirectoryIsBehind", unpersistedMigrationNames: ["20300102000000_b"] });
    });
  });

  describe("started at once on one fresh database", () => {
    beforeEach(() => {
      addMigration("20300101000000_a", CREATE_A);
      addMigration("20300102000000_b", CREATE_B);
      addMigration("20300103000000_c", CREATE_C);
    });

    /**
     * Starts every run of `runs` while this test holds the engine's lock, lets
     * them go once all `runs.length` wait for it, and returns what each applied.
     */
    async function releasedTogether(url: string, runs: Array<() => Promise<string[]>>): Promise<string[][]> {
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      let running: Array<Promise<string[]>> = [];
      try {
        await holder.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK]);
        running = runs.map((run) => run());
        await waitForLockWaiters(url, MIGRATE_LOCK, runs.length);
      } finally {
        // Ending the session releases the lock.
        await holder.end();
      }
      return Promise.all(running);
    }

    const ours = (url: string) => async () => (await applyPostgresMigrations(url, migrationsDir)).applied;

    it("two runs of ours take turns on the lock: both succeed, and each migration is applied once", async () => {
      await withScratchDatabase(serverUrl, async (url) => {
        const applied = await releasedTogether(url, [ours(url), ours(url)]);

        expect(applied.map((names) => names.length).sort()).toEqual([0, 3]);
        expect((await rows(url)).map((row) => [row.migration_name, row.applied_steps_count])).toEqual([
          ["20300101000000_a", 1],
          ["20300102000000_b", 1],
          ["20300103000000_c", 1],
        ]);
      });
    });

    it("ours and `prisma migrate deploy` take turns on the same lock", async () => {
      await withScratchDatabase(serverUrl, async (url) => {
        const applied = await releasedTogether(url, [ours(url), () => engineDeploys(url)]);

        expect(applied.flat().sort()).toEqual(["20300101000000_a", "20300102000000_b", "20300103000000_c"]);
        expect(applied.map((names) => names.length).sort()).toEqual([0, 3]);
        expect(await engineStatus(url)).toEqual(IN_STEP);
      });
    });
  });
});

describe("prisma/postgresql/migrations, applied by one and checked by the other", () => {
  it("after our runner, `prisma migrate deploy`, `status` and `dev` find nothing to do: nothing pending, failed or edited, no drift", async () => {
    await withScratchDatabase(serverUrl, async (url) => {
      const { applied } = await applyPostgresMigrations(url, POSTGRES_MIGRATIONS_DIR);
      expect(applied.length).toBeGreaterThan(0);

      expect(await engineStatus(url, POSTGRES_MIGRATIONS_DIR)).toEqual(IN_STEP);
      expect(await engineDevCheck(url, POSTGRES_MIGRATIONS_DIR)).toEqual({ action: { tag: "createMigration" } });
      expect(await engineDeploys(url, POSTGRES_MIGRATIONS_DIR)).toEqual([]);

      // The drift check is real: a column added by hand is found.
      await queryPostgres(url, 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT');
      expect(await engineDevCheck(url, POSTGRES_MIGRATIONS_DIR)).toEqual({ action: { tag: "reset", reason: expect.stringMatching(/Drift detected[\s\S]*nickname/) } });
    });
  });

  it("after `prisma migrate deploy`, our runner finds nothing to apply and nothing to warn about", async () => {
    await withScratchDatabase(serverUrl, async (url) => {
      const deployed = await engineDeploys(url, POSTGRES_MIGRATIONS_DIR);
      expect(deployed.length).toBeGreaterThan(0);

      expect(await applyPostgresMigrations(url, POSTGRES_MIGRATIONS_DIR)).toEqual({ applied: [], warnings: [] });
    });
  });
});
