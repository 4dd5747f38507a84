// The self-contained server of the README's Deploy section: `npm run
// build:standalone`, migrations applied from a checkout, then `node --import
// ./lib/server/request-hooks.mjs server.js` in the folder, with no project node_modules above it (scripts/test.ts builds
// it and copies it out of the checkout). The password workers load bcryptjs by
// name from that folder (lib/auth/password-workers.ts), so a sign-in there shows the
// build carried it.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createUser, expect, sessionSecret, test, withSession } from "./fixtures";
import { PRELOAD_HOOKS, signInTo, startServer } from "./servers";

const standaloneDir = process.env.E2E_STANDALONE_DIR;

const NEEDS_BUILD = "needs the standalone build `npm test` makes (scripts/test.ts); `npm run test:e2e` alone does not make it";

test("the standalone server signs in on its password workers, serves the signed-in page and its assets, and stops cleanly on SIGTERM", async ({ request }, testInfo) => {
  test.skip(!standaloneDir, NEEDS_BUILD);
  testInfo.setTimeout(180_000);
  // server.js listens on $HOSTNAME, which shells and containers often set to the machine's name.
  const server = await startServer({ script: "standalone", standaloneDir, env: { HOSTNAME: "0.0.0.0" } });
  try {
    const user = createUser("standalone", { database: server.database });
    const seal = await signInTo(server, request, user);
    const dashboard = await request.get(`${server.origin}/dashboard`, { headers: withSession(seal), maxRedirects: 0 });
    expect(dashboard.status()).toBe(200);
    expect(await dashboard.text()).toContain(`Welcome ${user.username}!`);

    // The static files were copied in: the stylesheet (public/) and the page's scripts (.next/static).
    const login = await (await request.get(`${server.origin}/login`)).text();
    const script = login.match(/src="(\/_next\/static\/[^"]+\.js)"/)?.[1];
    expect(script, "the sign-in page links a script").toBeDefined();
    for (const asset of ["/keycard.css", script!]) {
      expect((await request.get(`${server.origin}${asset}`)).status(), asset).toBe(200);
    }
  } finally {
    expect(await server.stop()).toEqual({ code: 0, signal: null, leftovers: false });
  }
});

test("a standalone folder without bcryptjs does not start: it exits 1 and says why", () => {
  test.skip(!standaloneDir, NEEDS_BUILD);
  const broken = mkdtempSync(path.join(os.tmpdir(), "keycard-standalone-broken-"));
  try {
    copyWithoutPackage(standaloneDir!, broken, "bcryptjs");
    const database = path.join(broken, "keycard.db");
    // A server that came up anyway would run until this timeout kills it (status null).
    const run = spawnSync(process.execPath, [...PRELOAD_HOOKS, "server.js"], {
      cwd: broken,
      encoding: "utf8",
      timeout: 20_000,
      killSignal: "SIGKILL",
      env: { ...process.env, PORT: "0", HOSTNAME: "127.0.0.1", SESSION_SECRET: sessionSecret(), DATABASE_URL: `file:${database}`, NEXT_TELEMETRY_DISABLED: "1" },
    });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain("The password workers cannot load bcryptjs");
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

/**
 * The standalone folder `source` in `target`, without node_modules/`name`:
 * server.js copied (it changes into its own folder), everything else linked.
 */
function copyWithoutPackage(source: string, target: string, name: string): void {
  for (const entry of readdirSync(source)) {
    if (entry !== "node_modules" && entry !== "server.js") symlinkSync(path.join(source, entry), path.join(target, entry));
  }
  copyFileSync(path.join(source, "server.js"), path.join(target, "server.js"));
  mkdirSync(path.join(target, "node_modules"));
  for (const entry of readdirSync(path.join(source, "node_modules"))) {
    if (entry !== name) symlinkSync(path.join(source, "node_modules", entry), path.join(target, "node_modules", entry));
  }
}
