import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The SQLite plumbing under Prisma (the reopening adapter, file watch, lock
// waits, SQLite's migration runner) and tests that break a SQLite file on
// purpose: nothing of theirs runs on PostgreSQL.
const SQLITE_ONLY = [
  "lib/db/sqlite-adapter.test.ts",
  "lib/db/sqlite-file.test.ts",
  "lib/db/lock-wait.test.ts",
  "lib/db/migrate.test.ts",
];

// PostgreSQL's own: its migration runner held to Prisma's schema engine, and
// the errors a real server gives. They need the project's cluster.
const POSTGRESQL_ONLY = ["lib/db/migrate-postgres.test.ts", "lib/db/errors.test.ts"];

const shared = {
  include: ["lib/**/*.test.ts", "scripts/**/*.test.ts"],
  environment: "node" as const,
  // Each test file gets its own migrated database (test/setup.ts).
  setupFiles: ["test/setup.ts"],
  env: {
    // bcrypt at the minimum cost keeps password tests quick.
    BCRYPT_COST: "10",
    // lib/session/store.ts reads its timeouts from the session config, which needs a secret.
    SESSION_SECRET: "vitest-only-session-secret-not-for-any-server",
  },
  testTimeout: 30_000,
};

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL(".", import.meta.url)),
      // `server-only` throws outside React Server Components; unit tests run the
      // lib directly, so give it the empty module the react-server condition uses.
      "server-only": fileURLToPath(new URL("./node_modules/server-only/empty.js", import.meta.url)),
    },
  },
  test: {
    // Vitest's default is one worker fewer than the cores: one on a 2-core machine,
    // where the PostgreSQL project's files spend much of their time waiting on
    // the server. Every file has a database of its own, so all cores can run.
    maxWorkers: "100%",
    // The whole suite on each database: `vitest run --project sqlite` for one.
    projects: [
      { extends: true, test: { ...shared, name: "sqlite", exclude: POSTGRESQL_ONLY, provide: { postgresUrl: "" } } },
      {
        extends: true,
        test: { ...shared, name: "postgresql", exclude: SQLITE_ONLY, globalSetup: ["test/postgres-global-setup.ts"] },
      },
    ],
  },
});
