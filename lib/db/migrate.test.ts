import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { applyMigrations, MigrationError } from "./migrate";

// `_prisma_migrations` exactly as Prisma's schema engine creates it for SQLite
// (the text in node_modules/prisma/build/schema_engine_bg.wasm, which SQLite
// stores in sqlite_master without the trailing semicolon).
const ENGINE_MIGRATIONS_TABLE_SQL = `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const REAL_MIGRATIONS = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

type Row = {
  id: string;
  checksum: string;
  finished_at: unknown;
  migration_name: string;
  logs: string | null;
  rolled_back_at: unknown;
  started_at: unknown;
  applied_steps_count: number;
};

let dir: string;
let migrationsDir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "keycard-migrate-"));
  migrationsDir = path.join(dir, "migrations");
  mkdirSync(migrationsDir);
  dbPath = path.join(dir, "data", "test.db");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function addMigration(name: string, script: string): void {
  mkdirSync(path.join(migrationsDir, name));
  writeFileSync(path.join(migrationsDir, name, "migration.sql"), script);
}

function query<T>(sql: string): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const rows = () => query<Row>("SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name");
const tables = () =>
  query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((row) => row.name);
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** A clock that ticks one second per reading, from a fixed start. */
function clock(start = Date.UTC(2030, 0, 1)) {
  let t = start - 1000;
  return () => (t += 1000);
}

const CREATE_A = 'CREATE TABLE "A" ("id" INTEGER NOT NULL PRIMARY KEY);\n';
const CREATE_B = '-- Ünïcode comment, so the checksum covers UTF-8\nCREATE TABLE "B" ("id" INTEGER NOT NULL PRIMARY KEY);\n';

describe("applyMigrations", () => {
  it("creates _prisma_migrations with the schema engine's exact DDL", () => {
    addMigration("20300101000000_a", CREATE_A);
    applyMigrations(dbPath, migrationsDir);
    const [table] = query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = '_prisma_migrations'");
    expect(table?.sql).toBe(ENGINE_MIGRATIONS_TABLE_SQL);
  });

  it("records one row per migration, as `prisma migrate deploy` does", () => {
    addMigration("20300101000000_a", CREATE_A);
    addMigration("20300102000000_b", CREATE_B);
    const start = Date.UTC(2030, 0, 1);

    const result = applyMigrations(dbPath, migrationsDir, clock(start));

    expect(result).toEqual({ applied: ["20300101000000_a", "20300102000000_b"], warnings: [] });
    expect(tables()).toEqual(expect.arrayContaining(["A", "B", "_prisma_migrations"]));
    const recorded = rows();
    expect(recorded.map((row) => row.migration_name)).toEqual(["20300101000000_a", "20300102000000_b"]);
    expect(recorded[0]).toMatchObject({
      checksum: sha256(CREATE_A),
      applied_steps_count: 1,
      logs: null,
      rolled_back_at: null,
      // Unix milliseconds as integers, the way the engine stores DATETIME in SQLite.
      started_at: start,
      finished_at: start + 1000,
    });
    expect(recorded[1]).toMatchObject({ checksum: sha256(CREATE_B), started_at: start + 2000, finished_at: start + 3000 });
    for (const row of recorded) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(recorded.map((row) => row.id)).size).toBe(2);
  });

  it("applies nothing on a second run", () => {
    addMigration("20300101000000_a", CREATE_A);
    applyMigrations(dbPath, migrationsDir, clock());
    const before = rows();

    expect(applyMigrations(dbPath, migrationsDir, clock(Date.UTC(2031, 0, 1)))).toEqual({ applied: [], warnings: [] });
    expect(rows()).toEqual(before);
  });

  it("applies only new migrations, in name order", () => {
    addMigration("20300101000000_a", CREATE_A);
    applyMigrations(dbPath, migrationsDir, clock());

    // Created out of name order: Prisma applies by folder name, not by age.
    addMigration("20300102000000_b", CREATE_B);
    addMigration("20300104000000_d", 'ALTER TABLE "C" ADD COLUMN "note" TEXT;\n');
    addMigration("20300103000000_c", 'CREATE TABLE "C" ("bId" INTEGER NOT NULL REFERENCES "B"("id"));\n');
    const result = applyMigrations(dbPath, migrationsDir, clock(Date.UTC(2031, 0, 1)));

    expect(result.applied).toEqual(["20300102000000_b", "20300103000000_c", "20300104000000_d"]);
    expect(rows().map((row) => row.migration_name)).toEqual([
      "20300101000000_a",
      "20300102000000_b",
      "20300103000000_c",
      "20300104000000_d",
    ]);
  });

  it("records a failed migration and refuses to continue until a person looks", () => {
    addMigration("20300101000000_a", CREATE_A);
    addMigration("20300102000000_broken", 'CREATE TABLE "Broken" (;\n');
    addMigration("20300103000000_c", 'CREATE TABLE "C" ("id" INTEGER);\n');

    expect(() => applyMigrations(dbPath, migrationsDir, clock())).toThrow(MigrationError);

    const broken = rows().find((row) => row.migration_name === "20300102000000_broken");
    expect(broken).toMatchObject({ finished_at: null, applied_steps_count: 0 });
    expect(broken?.logs).toMatch(/syntax error/);
    // The earlier migration stays applied; the later one never ran.
    expect(tables()).toContain("A");
    expect(tables()).not.toContain("C");

    // Like Prisma's P3009: even after the script is fixed, the next run refuses.
    rmSync(path.join(migrationsDir, "20300102000000_broken"), { recursive: true });
    addMigration("20300102000000_broken", 'CREATE TABLE "Broken" ("id" INTEGER);\n');
    const rerun = () => applyMigrations(dbPath, migrationsDir, clock());
    expect(rerun).toThrow(MigrationError);
    expect(rerun).toThrow(/20300102000000_broken.*failed/);
    expect(rerun).toThrow(/prisma migrate resolve/);
    expect(tables()).not.toContain("C");
  });

  it("warns when an applied migration was modified afterwards", () => {
    addMigration("20300101000000_a", CREATE_A);
    applyMigrations(dbPath, migrationsDir, clock());
    writeFileSync(path.join(migrationsDir, "20300101000000_a", "migration.sql"), CREATE_A + "-- edited\n");

    const result = applyMigrations(dbPath, migrationsDir, clock());

    expect(result.applied).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/20300101000000_a.*modified/)]);
  });

  it("warns about an applied migration missing from the folder", () => {
    addMigration("20300101000000_a", CREATE_A);
    applyMigrations(dbPath, migrationsDir, clock());
    rmSync(path.join(migrationsDir, "20300101000000_a"), { recursive: true });

    expect(applyMigrations(dbPath, migrationsDir, clock()).warnings).toEqual([
      expect.stringMatching(/20300101000000_a.*not in the migrations folder/),
    ]);
  });

  it("refuses a missing migrations folder with a message naming it", () => {
    const missing = path.join(dir, "nowhere");
    expect(() => applyMigrations(dbPath, missing)).toThrow(MigrationError);
    expect(() => applyMigrations(dbPath, missing)).toThrow(missing);
  });

  it("builds the real schema from prisma/migrations: User with a unique username", () => {
    const result = applyMigrations(dbPath, REAL_MIGRATIONS);
    expect(result.applied.length).toBeGreaterThan(0);
    expect(tables()).toContain("User");

    const indexes = query<{ name: string; unique: number }>("PRAGMA index_list('User')");
    const unique = indexes.filter((index) => index.unique === 1);
    const uniqueColumns = unique.map(
      (index) => query<{ name: string }>(`PRAGMA index_info('${index.name}')`).map((column) => column.name),
    );
    expect(uniqueColumns).toContainEqual(["username"]);

    // Behaviour, not just metadata: the database itself rejects a duplicate.
    const db = new Database(dbPath);
    try {
      const insert = db.prepare('INSERT INTO "User" ("username", "passwordHash", "updatedAt") VALUES (?, ?, ?)');
      insert.run("alice", "x", Date.now());
      expect(() => insert.run("alice", "y", Date.now())).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
  });
});
