// `npm run db:postgres-schema`: writes prisma/postgresql/schema.prisma from
// prisma/schema.prisma, the one source of truth for the models.
//
// WHY two files: Prisma takes the provider from the schema, not from an
// environment variable, and bakes it into the generated client and the
// migration history. So PostgreSQL gets a schema of its own, made from the
// SQLite one (only the provider and the client's output differ), a client of
// its own and a migrations folder of its own. scripts/schema-diff.test.ts fails
// when the file is stale.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
export const SQLITE_SCHEMA_PATH = path.join(projectRoot, "prisma", "schema.prisma");
export const POSTGRES_SCHEMA_PATH = path.join(projectRoot, "prisma", "postgresql", "schema.prisma");
export const POSTGRES_MIGRATIONS_DIR = path.join(projectRoot, "prisma", "postgresql", "migrations");

const HEADER = "// Made by `npm run db:postgres-schema` from prisma/schema.prisma: edit that file, not this one.\n\n";

/** The PostgreSQL schema for a SQLite one. Throws if the SQLite schema no longer has the lines it replaces. */
export function postgresSchemaFrom(sqliteSchema: string): string {
  const replacements: Array<[RegExp, string]> = [
    [/^(\s*provider\s*=\s*)"sqlite"$/m, '$1"postgresql"'],
    [/^(\s*output\s*=\s*)"\.\.\/lib\/generated\/prisma"$/m, '$1"../../lib/generated/postgresql"'],
  ];
  let schema = sqliteSchema;
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(schema)) throw new Error(`prisma/schema.prisma: no line matches ${pattern}; update scripts/postgres-schema.ts.`);
    schema = schema.replace(pattern, replacement);
  }
  return HEADER + schema;
}

export async function writePostgresSchema(): Promise<void> {
  await writeFile(POSTGRES_SCHEMA_PATH, postgresSchemaFrom(await readFile(SQLITE_SCHEMA_PATH, "utf8")));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await writePostgresSchema();
  console.log(`Wrote ${path.relative(process.cwd(), POSTGRES_SCHEMA_PATH)}.`);
}
