// `npm run db:new-migration -- <name>`: writes the next migration from the
// changes in prisma/schema.prisma, like `prisma migrate dev --create-only`.
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

import { DEFAULT_MIGRATIONS_DIR, diffMigrationsToSchema, isEmptyDiff, MIGRATION_LOCK_TOML } from "./schema-diff";

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

  const sql = await diffMigrationsToSchema();
  if (isEmptyDiff(sql)) {
    console.log("No schema changes: prisma/migrations is in sync with schema.prisma.");
    return 0;
  }

  const folder = path.join(DEFAULT_MIGRATIONS_DIR, migrationFolderName(name));
  if (existsSync(folder)) throw new Error(`The migration directory already exists at ${folder}`);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, "migration.sql");
  await writeFile(file, sql, "utf8");
  // `migrate dev` (re)writes the lock file with every migration; only a missing one needs it.
  const lockfile = path.join(DEFAULT_MIGRATIONS_DIR, "migration_lock.toml");
  if (!existsSync(lockfile)) await writeFile(lockfile, MIGRATION_LOCK_TOML, "utf8");

  console.log(path.relative(process.cwd(), file));
  if (/^\s*DROP\b|^-- RedefineTables$/m.test(sql)) {
    console.error(
      "Note: this migration drops or rebuilds tables. `prisma migrate dev` would list the possible data loss in a " +
        "/* Warnings */ header; review the SQL before applying it.",
    );
  }
  console.error("Review it, then apply it with `npm run db:migrate`.");
  return 0;
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runDirectly) {
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
