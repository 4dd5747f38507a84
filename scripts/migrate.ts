// `npm run db:migrate`: apply pending migrations to DATABASE_URL's SQLite file.
// Equivalent to `prisma migrate deploy`, without the native engine (lib/db/migrate.ts).
import "./load-env";
import path from "node:path";
import { getDatabasePath } from "../lib/config";
import { applyMigrations, MigrationError } from "../lib/db/migrate";

export function migrateDatabase(): void {
  const databasePath = getDatabasePath();
  const { applied, warnings } = applyMigrations(databasePath, path.resolve("prisma/migrations"));
  for (const warning of warnings) console.warn(`keycard: warning: ${warning}`);
  if (applied.length > 0) console.log(`keycard: applied ${applied.length} migration(s) to ${databasePath}: ${applied.join(", ")}`);
}

export function exitOnError(run: () => void | Promise<void>): void {
  Promise.resolve()
    .then(run)
    .catch((error: unknown) => {
      const known = error instanceof MigrationError || (error instanceof Error && error.message.startsWith("Keycard:"));
      console.error(known ? (error as Error).message : error);
      process.exit(1);
    });
}

if (import.meta.url === `file://${process.argv[1]}`) exitOnError(migrateDatabase);
