// The scripts that run beside the server read the same .env* files Next.js does:
// a DATABASE_URL kept in .env.production.local used to be seen by the server
// but not by `npm run db:migrate`, which migrated another file.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

it("npm run db:migrate migrates the DATABASE_URL of .env.production.local", () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "keycard-env-"));
  folders.push(folder);
  symlinkSync(path.join(root, "prisma"), path.join(folder, "prisma"));
  mkdirSync(path.join(folder, "data"));
  writeFileSync(path.join(folder, ".env.production.local"), "DATABASE_URL=file:./from-env-file.db\n");
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "DATABASE_URL" && name !== "NODE_ENV"));
  const run = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(root, "scripts", "migrate.ts")], { cwd: folder, env: env as NodeJS.ProcessEnv, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  expect(existsSync(path.join(folder, "from-env-file.db"))).toBe(true);
  expect(existsSync(path.join(folder, "data", "keycard.db"))).toBe(false);
}, 60_000);
