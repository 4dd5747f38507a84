// Stopping and starting the server, as a deployment does: `npm start`, then
// SIGTERM to npm alone (what `docker stop` sends to PID 1). Sessions survive a
// restart; a stop lets the requests in flight finish, refuses new connections,
// closes the database cleanly and exits 0, within a bounded time.
import Database from "better-sqlite3";
import { existsSync, rmSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { createUser, expect, sessionIdOf, sessionSetCookie, test, withSession } from "./fixtures";
import { signInTo, startServer } from "./servers";

/** The database file as a stopped server leaves it: WAL folded in, consistent. */
function expectClosedCleanly(databasePath: string): void {
  const wal = `${databasePath}-wal`;
  expect(existsSync(wal) ? statSync(wal).size : 0, "bytes left in the -wal file").toBe(0);
  const file = new Database(databasePath, { readonly: true });
  try {
    expect(file.pragma("integrity_check", { simple: true })).toBe("ok");
  } finally {
    file.close();
  }
}

/** Whether a new TCP connection to the server is accepted (a pooled one would not tell). */
async function acceptsConnections(origin: string): Promise<boolean> {
  const socket = createConnection({ host: "127.0.0.1", port: Number(new URL(origin).port) });
  try {
    return await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("error", () => resolve(false));
    });
  } finally {
    socket.destroy();
  }
}

function hasSessionRow(databasePath: string, id: string): boolean {
  const file = new Database(databasePath, { readonly: true });
  try {
    return file.prepare('SELECT 1 FROM "Session" WHERE id = ?').get(id) !== undefined;
  } finally {
    file.close();
  }
}

test("a session survives a restart: same database and secret, same cookie, still signed in", async ({ request }, testInfo) => {
  testInfo.setTimeout(240_000);
  const first = await startServer({ keep: true });
  try {
    // npm start's migration leaves the file in WAL mode (readers never wait for a writer).
    const file = new Database(first.databasePath, { readonly: true });
    expect(file.pragma("journal_mode", { simple: true })).toBe("wal");
    file.close();

    const user = createUser("restart", { file: first.databasePath });
    const seal = await signInTo(first, request, user);
    const dashboard = await request.get(`${first.origin}/dashboard`, { headers: withSession(seal), maxRedirects: 0 });
    expect(await dashboard.text()).toContain(`Welcome ${user.username}!`);

    expect(await first.stop()).toEqual({ code: 0, signal: null, leftovers: false });
    expectClosedCleanly(first.databasePath);

    const second = await startServer({ directory: first.directory });
    try {
      const again = await request.get(`${second.origin}/dashboard`, { headers: withSession(seal), maxRedirects: 0 });
      expect(again.status()).toBe(200);
      expect(await again.text()).toContain(`Welcome ${user.username}!`);
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    rmSync(first.directory, { recursive: true, force: true });
  }
});

test("SIGTERM: a sign-in in flight still gets its 200, new connections are refused, the database closes, exit 0", async ({ request }, testInfo) => {
  testInfo.setTimeout(300_000);
  const server = await startServer({ keep: true });
  try {
    // A costly hash keeps the server's bcrypt busy for about a second when the signal comes.
    const user = createUser("in-flight", { file: server.databasePath, bcryptCost: 14 });
    let answeredAt = 0;
    const signingIn = request.post(`${server.origin}/api/session`, { data: user, timeout: 30_000 }).finally(() => (answeredAt = Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = server.stop();
    await expect.poll(() => acceptsConnections(server.origin), { timeout: 5000, intervals: [50] }).toBe(false);
    const refusingSince = Date.now();

    const response = await signingIn;
    expect(response.status(), await response.text()).toBe(200);
    const seal = sessionSetCookie(response)?.value;
    expect(seal).toBeDefined();
    // It really was in flight: answered after the server had stopped taking connections.
    expect(answeredAt).toBeGreaterThan(refusingSince);
    expect(await stopping).toEqual({ code: 0, signal: null, leftovers: false });
    // Done once the last answer is out: the client's idle keep-alive connection
    // does not hold the stop for Node's 5 s keep-alive timeout.
    expect(Date.now() - answeredAt).toBeLessThan(2500);
    expectClosedCleanly(server.databasePath);
    // The session it answered with was written, not lost with the process.
    expect(hasSessionRow(server.databasePath, await sessionIdOf(seal ?? ""))).toBe(true);
  } finally {
    await server.stop();
    rmSync(server.directory, { recursive: true, force: true });
  }
});

test("SIGTERM with a request that never finishes: the server still exits, with the database closed, after the shutdown timeout", async ({}, testInfo) => {
  testInfo.setTimeout(180_000);
  const server = await startServer({ keep: true });
  try {
    // Half a request: Next.js waits for it to finish (up to Node's 60 s headers
    // timeout) before it exits; the shutdown timeout (8 s) ends that.
    const { port } = new URL(server.origin);
    const socket = createConnection({ host: "127.0.0.1", port: Number(port) });
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /api/health HTTP/1.1\r\nHost: localhost\r\n");
    await new Promise((resolve) => setTimeout(resolve, 200));

    const started = Date.now();
    const exit = await server.stop();
    socket.destroy();
    expect(Date.now() - started).toBeLessThan(15_000);
    // Not a clean stop: a request was cut off, and the exit code says so.
    expect(exit).toEqual({ code: 1, signal: null, leftovers: false });
    expectClosedCleanly(server.databasePath);
  } finally {
    await server.stop();
    rmSync(server.directory, { recursive: true, force: true });
  }
});

// A developer's Ctrl-C or an editor's stop button reaches npm; `next dev` behind a
// shell that does not pass the signal on would keep running, holding the port.
test("npm run dev: SIGTERM to npm stops the development server too, nothing left running", async ({}, testInfo) => {
  testInfo.setTimeout(300_000);
  const server = await startServer({ script: "dev" });
  try {
    expect(await server.health()).toBe(200);
    const exit = await server.stop();
    expect(exit.leftovers, server.output()).toBe(false);
    expect(await acceptsConnections(server.origin)).toBe(false);
  } finally {
    await server.stop();
  }
});
