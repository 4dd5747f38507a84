// `npm run db:new-migration -- <name>`: writes the next migration from the
// changes in prisma/schema.prisma, like `prisma migrate dev --create-only`, for
// SQLite and for PostgreSQL (whose schema it remakes first: scripts/postgres-schema.ts).
//
// WHY not Prisma's own command: it needs the native schema engine, which cannot
// be downloaded offline. scripts/schema-diff.ts gets the same SQL from the
// engine's WebAssembly build; this script names the folder and writes the file
// the way `migrate dev` does. Apply it with `npm run db:migrate`.
//
// Exit codes: 0 written or nothing to do, 1 failure, 2 bad usage.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { startPostgres, whyNoPostgres } from "./postgres-cluster";
import { POSTGRES_MIGRATIONS_DIR, POSTGRES_SCHEMA_PATH, writePostgresSchema } from "./postgres-schema";
import { DEFAULT_MIGRATIONS_DIR, diffMigrationsToSchema, isEmptyDiff, migrationLockToml, type Provider } from "./schema-diff";

const USAGE = "Usage: npm run db:new-migration -- <name>   (letters, digits, underscores and dashes, e.g. add_user_email)";

export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The migration name as `prisma migrate dev --name` turns it into a folder name
 * (slugify with "_": camelCase and dashes become snake_case; at most 200
 * characters). Only plain names are accepted, so no transliteration is needed.
 */
export function toMigrationName(input: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(input) || !/[A-Za-z0-9]/.test(input)) {
    throw new UsageError(
      `Invalid migration name ${JSON.stringify(input)}: use letters, digits, underscores and dashes (e.g. add_user_email).`,
    );
  }
  return input
    .replace(/([A-Z]{2,})(\d+)/g, "$1 $2")
    .replace(/([a-z\d]+)([A-Z]{2,})/g, "$1 $2")
    .replace(/([a-z\d])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-rt-z\d]+)/g, "$1 $2")
    .toLowerCase()
    .replace(/[^a-z\d]+/g, "_")
    .replace(/^_|_$/g, "")
    .substring(0, 200);
}

/** `<UTC YYYYMMDDHHMMSS>_<name>`, the engine's folder name format. */
export function migrationFolderName(name: string, now: Date = new Date()): string {
  const timestamp = now.toISOString().slice(0, 19).replace(/\D/g, "");
  return `${timestamp}_${name}`;
}

async function main(args: string[]): Promise<number> {
  if (args.length === 1 && (args[0] === "-h" || args[0] === "--help")) {
    console.log(USAGE);
    return 0;
  }
  const [input] = args;
  if (args.length !== 1 || input === undefined) throw new UsageError(`Expected exactly one migration name.\n${USAGE}`);
  const name = toMigrationName(input);

  // PostgreSQL's schema follows the SQLite one, and gets the same migration in its
  // own dialect, from a throwaway cluster's scratch database (scripts/postgres-cluster.ts).
  // Checked first, so that a failure never leaves SQLite's migration without its twin.
  const noPostgres = whyNoPostgres();
  if (noPostgres) {
    console.error(`No migration written: ${noPostgres}, and PostgreSQL's migration is made on a local cluster.`);
    return 1;
  }
  await writePostgresSchema();

  const folderName = migrationFolderName(name);
  let written = 0;
  if (await writeMigration(DEFAULT_MIGRATIONS_DIR, folderName, await diffMigrationsToSchema(), "sqlite")) written++;
  const postgres = await startPostgres();
  try {
    const sql = await diffMigrationsToSchema({ schemaPath: POSTGRES_SCHEMA_PATH, migrationsDir: POSTGRES_MIGRATIONS_DIR, postgresUrl: postgres.url });
    if (await writeMigration(POSTGRES_MIGRATIONS_DIR, folderName, sql, "postgresql")) written++;
  } finally {
    postgres.stop();
  }

  if (written === 0) console.log("No schema changes: the migrations are in sync with schema.prisma.");
  else console.error("Review them, then apply with `npm run db:migrate`.");
  return 0;
}

/** Writes `sql` as the migration `folderName` under `migrationsDir`; false when there is nothing to write. */
async function writeMigration(migrationsDir: string, folderName: string, sql: string, provider: Provider): Promise<boolean> {
  if (isEmptyDiff(sql)) return false;
  const folder = path.join(migrationsDir, folderName);
  if (existsSync(folder)) throw new Error(`The migration directory already exists at ${folder}`);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, "migration.sql");
  await writeFile(file, sql, "utf8");
  // `migrate dev` (re)writes the lock file with every migration; only a missing one needs it.
  const lockfile = path.join(migrationsDir, "migration_lock.toml");
  if (!existsSync(lockfile)) await writeFile(lockfile, migrationLockToml(provider), "utf8");
  console.log(path.relative(process.cwd(), file));
  if (/^\s*DROP\b|^-- RedefineTables$/m.test(sql)) {
    console.error(
      "Note: this migration drops or rebuilds tables. `prisma migrate dev` would list the possible data loss in a " +
        "/* Warnings */ header; review the SQL before applying it.",
    );
  }
  return true;
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runDirectly) {
  // Ctrl-C still runs the exit hooks (the throwaway cluster's stop).
  process.once("SIGINT", () => process.exit(130));
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
