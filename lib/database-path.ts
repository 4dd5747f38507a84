import path from "node:path";

const DEFAULT_DATABASE_URL = "file:./data/keycard.db";

/**
 * The SQLite file named by DATABASE_URL (`file:` URL, as Prisma writes it),
 * resolved against the working directory, which is the project root for every
 * npm script.
 */
export function getDatabasePath(env: Record<string, string | undefined> = process.env): string {
  const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (!url.startsWith("file:")) {
    throw new Error(`Keycard: DATABASE_URL must be a SQLite file URL like "${DEFAULT_DATABASE_URL}" (got "${url}").`);
  }
  const file = url.slice("file:".length).split("?")[0] ?? "";
  if (file === "") throw new Error("Keycard: DATABASE_URL names no file.");
  // The path comes from configuration, not code: keep it out of build-time file tracing.
  return path.resolve(/*turbopackIgnore: true*/ file);
}
