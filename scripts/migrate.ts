// `npm run db:migrate`: apply pending migrations to DATABASE_URL's database,
// SQLite's from prisma/migrations, PostgreSQL's from prisma/postgresql/migrations.
// Equivalent to `prisma migrate deploy`, without the native engine
// (lib/db/migrate.ts, lib/db/migrate-postgres.ts).
import "./load-env";
import path from "node:path";
import { describeDatabase, getDatabaseConfig } from "../lib/config";
import { isDatabaseUnavailable, unavailabilityCode } from "../lib/db/errors";
import { applyMigrations, MigrationError } from "../lib/db/migrate";
import { applyPostgresMigrations } from "../lib/db/migrate-postgres";

export async function migrateDatabase(): Promise<void> {
  const config = getDatabaseConfig();
  const { applied, warnings } =
    config.provider === "sqlite"
      ? applyMigrations(config.path, path.resolve("prisma/migrations"))
      : await applyPostgresMigrations(config.url, path.resolve("prisma/postgresql/migrations"));
  for (const warning of warnings) console.warn(`keycard: warning: ${warning}`);
  if (applied.length > 0) console.log(`keycard: applied ${applied.length} migration(s) to ${describeDatabase()}: ${applied.join(", ")}`);
}

export function exitOnError(run: () => void | Promise<void>): void {
  Promise.resolve()
    .then(run)
    .catch((error: unknown) => {
      const known = error instanceof MigrationError || (error instanceof Error && error.message.startsWith("Keycard:"));
      if (known) console.error((error as Error).message);
      // A database that is down or refuses us is an operator's problem, not a bug: one line, no stack.
      else if (isDatabaseUnavailable(error)) console.error(`Keycard: the database at ${describeDatabase()} cannot be used (${unavailabilityCode(error)}): ${(error as Error).message}`);
      else console.error(error);
      process.exit(1);
    });
}

if (import.meta.url === `file://${process.argv[1]}`) exitOnError(migrateDatabase);
