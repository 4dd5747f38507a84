// `npm run db:migrate` (and npm start's prestart, which runs it) against a
// database that cannot be used: one line naming the database and the reason,
// never a stack trace or the password in DATABASE_URL.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { freePort } from "./free-port";

const root = fileURLToPath(new URL("..", import.meta.url));

it("says in one line that a PostgreSQL server it cannot reach cannot be used, and exits 1", async () => {
  // A port nothing listens on.
  const port = await freePort();
  const run = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(root, "scripts", "migrate.ts")], {
    env: { ...process.env, DATABASE_URL: `postgresql://keycard:s3cret-pw@127.0.0.1:${port}/keycard` },
    encoding: "utf8",
  });
  expect(run.status).toBe(1);
  expect(run.stderr.trim()).toBe(
    `Keycard: the database at postgresql://keycard:***@127.0.0.1:${port}/keycard cannot be used (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:${port}`,
  );
  expect(run.stdout + run.stderr).not.toContain("s3cret-pw");
}, 60_000);

