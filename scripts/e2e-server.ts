// The servers the end-to-end tests run against: the production build (`npm
// start`, which applies migrations first) on a throwaway database made fresh
// each run (playwright.config.ts runs one of each): DATABASE_URL names a SQLite
// file, removed first, or a PostgreSQL database, for which this process starts
// a throwaway cluster on that URL's port, removed when this process ends.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { getDatabaseConfig } from "../lib/config";
import { createPostgresDatabase } from "../e2e/database";
import { startPostgres } from "./postgres-cluster";

const config = getDatabaseConfig();
if (config.provider === "postgresql") {
  const url = new URL(config.url);
  // Stopped and removed by startPostgres's own exit hook, however this process ends.
  const cluster = await startPostgres({ port: Number(url.port) });
  createPostgresDatabase(cluster.url, url.pathname.slice(1));
} else {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(config.path + suffix, { force: true });
}

// `npm start` listens where HOSTNAME says: the machine's own name must not decide.
const server = spawn("npm", ["start"], { stdio: "inherit", env: { ...process.env, HOSTNAME: undefined } });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 1));
