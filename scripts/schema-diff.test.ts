// Guards the migration history: the committed prisma/migrations must build
// exactly the database schema.prisma describes. Uses the engine's WebAssembly
// build (scripts/schema-diff.ts), so it runs offline.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startPostgres, whyNoPostgres, type Postgres } from "./postgres-cluster";
import { toMigrationName } from "./new-migration";
import { POSTGRES_MIGRATIONS_DIR, POSTGRES_SCHEMA_PATH, postgresSchemaFrom, SQLITE_SCHEMA_PATH } from "./postgres-schema";
import { DEFAULT_SCHEMA_PATH, diffMigrationsToSchema, EMPTY_MIGRATION_SCRIPT, isEmptyDiff } from "./schema-diff";

describe("prisma/migrations vs schema.prisma", () => {
  it("are in sync", async () => {
    const sql = await diffMigrationsToSchema();
    expect(
      sql,
      "schema.prisma has changes no migration covers: run `npm run db:new-migration -- <name>` and commit the result",
    ).toBe("");
    expect(isEmptyDiff(sql)).toBe(true);
  });

  it("reports a schema change that has no migration", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "keycard-schema-diff-"));
    try {
      const schema = await readFile(DEFAULT_SCHEMA_PATH, "utf8");
      expect(schema).toMatch(/^model User \{$/m);
      const changed =
        schema.replace(/^model User \{$/m, "model User {\n  nickname String?") +
        "\nmodel AuditEvent {\n  id   Int    @id @default(autoincrement())\n  kind String\n}\n";
      const schemaPath = path.join(dir, "schema.prisma");
      await writeFile(schemaPath, changed);

      const sql = await diffMigrationsToSchema({ schemaPath });

      expect(isEmptyDiff(sql)).toBe(false);
      expect(sql).toContain('ALTER TABLE "User" ADD COLUMN "nickname" TEXT;');
      expect(sql).toContain('CREATE TABLE "AuditEvent" (');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("treats the engine's empty-migration comment as empty", () => {
    expect(isEmptyDiff(EMPTY_MIGRATION_SCRIPT)).toBe(true);
    expect(isEmptyDiff("")).toBe(true);
    expect(isEmptyDiff('DROP TABLE "User";\n')).toBe(false);
  });
});

describe("PostgreSQL's schema and migrations", () => {
  it("the schema is the SQLite one with PostgreSQL's provider and client folder (npm run db:postgres-schema)", async () => {
    const expected = postgresSchemaFrom(await readFile(SQLITE_SCHEMA_PATH, "utf8"));
    expect(await readFile(POSTGRES_SCHEMA_PATH, "utf8"), "prisma/postgresql/schema.prisma is stale: run `npm run db:postgres-schema`").toBe(expected);
    expect(expected).toMatch(/^\s*provider\s*=\s*"postgresql"$/m);
  });

  // The engine replays the migrations into a shadow database of its own on a real server.
  const noPostgres = whyNoPostgres();
  describe.skipIf(noPostgres !== null)(`on a throwaway cluster${noPostgres ? ` (skipped: ${noPostgres})` : ""}`, () => {
    let postgres: Postgres;
    beforeAll(async () => {
      postgres = await startPostgres();
    }, 60_000);
    afterAll(() => postgres?.stop());

    it("prisma/postgresql/migrations are in sync with its schema", async () => {
      const sql = await diffMigrationsToSchema({ schemaPath: POSTGRES_SCHEMA_PATH, migrationsDir: POSTGRES_MIGRATIONS_DIR, postgresUrl: postgres.url });
      expect(sql, "the PostgreSQL schema has changes no migration covers: run `npm run db:new-migration -- <name>`").toBe("");
    }, 60_000);

    it("reports a change that has no migration", async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "keycard-schema-diff-"));
      try {
        const schema = await readFile(POSTGRES_SCHEMA_PATH, "utf8");
        const schemaPath = path.join(dir, "schema.prisma");
        await writeFile(schemaPath, schema.replace(/^model User \{$/m, "model User {\n  nickname String?"));
        const sql = await diffMigrationsToSchema({ schemaPath, migrationsDir: POSTGRES_MIGRATIONS_DIR, postgresUrl: postgres.url });
        expect(sql).toContain('ALTER TABLE "User" ADD COLUMN     "nickname" TEXT;');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});

describe("new migration names", () => {
  it("are folded to snake_case like `prisma migrate dev --name`", () => {
    expect(toMigrationName("add_user_email")).toBe("add_user_email");
    expect(toMigrationName("addUserEmail")).toBe("add_user_email");
    expect(toMigrationName("Add-Notes--table_")).toBe("add_notes_table");
  });

  it("reject anything but letters, digits, underscores and dashes", () => {
    for (const bad of ["", "add email", "drop;table", "ünïcode", "___"]) {
      expect(() => toMigrationName(bad)).toThrow(/Invalid migration name/);
    }
  });
});
