// The server the end-to-end tests run against: the production build (`npm start`,
// which applies migrations first) on a throwaway database made fresh each run.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";

const databasePath = process.env.E2E_DATABASE_PATH;
if (!databasePath) throw new Error("e2e-server: E2E_DATABASE_PATH is not set (playwright.config.ts sets it).");
for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(databasePath + suffix, { force: true });

// `npm start` listens where HOSTNAME says: the machine's own name must not decide.
const server = spawn("npm", ["start"], { stdio: "inherit", env: { ...process.env, HOSTNAME: undefined } });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 1));
