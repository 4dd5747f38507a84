// The self-contained server of the README's Deploy section: `npm run
// build:standalone`, migrations applied from a checkout, then `node server.js`
// in the folder, with no project node_modules above it (scripts/test.ts builds
// it and copies it out of the checkout). The password workers load bcryptjs by
// name from that folder (lib/password-workers.ts), so a sign-in there shows the
// build carried it.
import { createUser, expect, test, withSession } from "./fixtures";
import { signInTo, startServer } from "./servers";

const standaloneDir = process.env.E2E_STANDALONE_DIR;

test("the standalone server signs in on its password workers, serves the signed-in page and its assets, and stops cleanly on SIGTERM", async ({ request }, testInfo) => {
  test.skip(!standaloneDir, "needs the standalone build `npm test` makes (scripts/test.ts); `npm run test:e2e` alone does not make it");
  testInfo.setTimeout(90_000);
  // server.js listens on $HOSTNAME, which shells and containers often set to the machine's name.
  const server = await startServer({ script: "standalone", standaloneDir, env: { HOSTNAME: "0.0.0.0" } });
  try {
    const user = createUser("standalone", { file: server.databasePath });
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
