// No demo user in production, whatever the order of commands: `npm run dev` then
// `npm start` in one folder used to share one database, and user1 / password123
// signed in on the production server. The check runs as the server boots
// (instrumentation.ts), so it holds for `npm start` and the standalone server alike.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { databaseUrl, type TestDatabase } from "./database";
import { expect, insertUser, newDatabase, test } from "./fixtures";
import { migrate, removeServerData, runRefusedStart, signInTo, startServer, type ServerOptions } from "./servers";

const DEMO = { username: "user1", password: "password123" };
const standaloneDir = process.env.E2E_STANDALONE_DIR;

/** A server folder and a migrated database that holds user1 with `password`. */
function databaseWithUser1(password: string): { directory: string; database: TestDatabase } {
  const directory = mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-"));
  const database = newDatabase(directory);
  migrate({ ...process.env, DATABASE_URL: databaseUrl(database) });
  insertUser({ username: DEMO.username, password }, { database });
  return { directory, database };
}

/** How the server names the database in its messages: the file, or the URL (without a password, which these have none of). */
function described(database: TestDatabase): string {
  return database.provider === "sqlite" ? database.path : database.url;
}

const STARTS: Array<{ name: string; options: Pick<ServerOptions, "script" | "standaloneDir" | "env"> }> = [
  { name: "npm start", options: { script: "start" } },
  // server.js listens on $HOSTNAME, which shells and containers often set to the machine's name.
  { name: "the standalone server", options: { script: "standalone", standaloneDir, env: { HOSTNAME: "0.0.0.0" } } },
];

for (const { name, options } of STARTS) {
  test(`${name} on a database where user1 still has the demo password exits 1, says how to fix it, and serves nothing`, async ({}, testInfo) => {
    test.skip(options.script === "standalone" && !standaloneDir, "needs the standalone build `npm test` makes (scripts/test.ts)");
    testInfo.setTimeout(180_000);
    const prepared = databaseWithUser1(DEMO.password);
    try {
      const refusal = await runRefusedStart({ ...options, folder: prepared.directory, database: prepared.database });
      expect(refusal.code, refusal.output).toBe(1);
      expect(refusal.answered, "statuses GET /api/health got").toEqual([]);
      expect(refusal.output).toContain(`the account "user1" in ${described(prepared.database)} still signs in with the demo password "password123"`);
      expect(refusal.output).toContain("npm run users -- passwd user1");
      expect(refusal.output).toContain("npm run users -- remove user1");
    } finally {
      removeServerData(prepared);
    }
  });
}

test("npm start with user1 under a password of its own starts, and user1 signs in with it", async ({ request }, testInfo) => {
  testInfo.setTimeout(180_000);
  const own = { username: DEMO.username, password: "lantern-orbit-5729" };
  const server = await startServer(databaseWithUser1(own.password));
  try {
    await signInTo(server, request, own);
    const demo = await request.post(`${server.origin}/api/session`, { data: DEMO });
    expect(demo.status()).toBe(401);
  } finally {
    await server.stop();
  }
});
