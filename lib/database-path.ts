import path from "node:path";

const PRODUCTION_DATABASE_URL = "file:./data/keycard.db";
const DEVELOPMENT_DATABASE_URL = "file:./data/keycard-dev.db";

/**
 * DATABASE_URL, else the default for NODE_ENV. Development (`next dev`, and
 * `npm run dev`'s predev, which sets NODE_ENV as next dev does) has a file of its
 * own, so the demo user it creates never lands in the production server's file.
 * Everything else uses the production file: `next start`, server.js, and the CLI
 * and db:migrate (tsx, NODE_ENV unset), which operators run against production.
 */
function getDatabaseUrl(env: Record<string, string | undefined> = process.env): string {
  return env.DATABASE_URL || (env.NODE_ENV === "development" ? DEVELOPMENT_DATABASE_URL : PRODUCTION_DATABASE_URL);
}

/**
 * The SQLite file named by the database URL (`file:` URL, as Prisma writes it),
 * resolved against the working directory, which is the project root for every
 * npm script.
 */
export function getDatabasePath(env: Record<string, string | undefined> = process.env): string {
  const url = getDatabaseUrl(env);
  if (!url.startsWith("file:")) {
    throw new Error(`Keycard: DATABASE_URL must be a SQLite file URL like "${PRODUCTION_DATABASE_URL}" (got "${url}").`);
  }
  const file = url.slice("file:".length).split("?")[0] ?? "";
  if (file === "") throw new Error("Keycard: DATABASE_URL names no file.");
  // The path comes from configuration, not code: keep it out of build-time file tracing.
  return path.resolve(/*turbopackIgnore: true*/ file);
}
