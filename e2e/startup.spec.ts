// The first moments after start-up. `next start` listens before it has loaded
// the app; requests accepted meanwhile wait, then run. Whatever protects a
// request must already be in place for those: the security headers on every
// answer, the connection's own address for throttling and the audit log.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, securityEvents, sessionSecret, test } from "./fixtures";
import { sendRaw, type RawAnswer, type RawRequest } from "./raw-http";
import { startServer, type Server } from "./servers";

/** Enough that many of them arrive before the app has finished loading. */
const BURST = 120;
const SIGN_INS = 10;

const STATIC_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Returns as soon as the server's port takes a connection. */
async function portOpens(server: Server): Promise<void> {
  const port = Number(new URL(server.origin).port);
  for (const started = Date.now(); !(await accepts(port)); ) {
    if (Date.now() - started > 60_000) throw new Error(`The port never opened: ${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The audit log's failed sign-ins of these usernames, with the address each was recorded under. */
function failedSignIns(server: Server, usernames: string[]): Array<{ username: unknown; ip: unknown }> {
  return securityEvents(server.database)
    .filter((event) => event.type === "sign_in_failed" && usernames.includes(String(event.username)))
    .map(({ username, ip }) => ({ username, ip }));
}

test("requests from the moment the port opens get the security headers and their own address", async ({}, testInfo) => {
  testInfo.setTimeout(180_000);
  // Returned at once, before the server listens: the burst below is what finds it up.
  const server = await startServer({ ready: () => true });
  try {
    const usernames = Array.from({ length: SIGN_INS }, (_, index) => `early-${index}-${randomBytes(4).toString("hex")}`);
    const signIns: RawRequest[] = usernames.map((username) => ({
      method: "POST",
      path: "/api/session",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password: "not-the-password" }),
    }));
    const pages: RawRequest[] = ["/login", "/api/health", "/keycard.css", "/no-such-page", "/dashboard"].map((path) => ({ method: "GET", path }));
    const burst = [...signIns, ...Array.from({ length: BURST - SIGN_INS }, (_, index) => pages[index % pages.length]!)];

    await portOpens(server);
    const answers = await Promise.all(burst.map((request) => sendRaw(server.origin, request)));

    const label = (request: RawRequest, answer: RawAnswer) => `${request.method} ${request.path} → ${answer.status}`;
    burst.forEach((request, index) => {
      const answer = answers[index]!;
      expect(answer.status, label(request, answer)).toBeLessThan(500);
      for (const [name, value] of Object.entries(STATIC_HEADERS)) expect(answer.headers[name], `${label(request, answer)}: ${name}`).toBe(value);
      // Pages and answers of the app carry a policy; the stylesheet is a file.
      if (request.path !== "/keycard.css") expect(answer.headers["content-security-policy"], label(request, answer)).toBeDefined();
    });
    expect(answers.slice(0, SIGN_INS).map((answer) => answer.status)).toEqual(Array(SIGN_INS).fill(401));
    // TRUST_PROXY is 0 here: the address is the connection's, never "unknown".
    const recorded = failedSignIns(server, usernames);
    expect(recorded.map((row) => row.ip)).toEqual(Array(SIGN_INS).fill("127.0.0.1"));
  } finally {
    await server.stop();
  }
});

// Without lib/server/request-hooks.mjs preloaded no request would carry its client's
// address, and every client would share one throttle.
test("`next start` without the request hooks does not start: it exits 1 and says how to start", () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-"));
  try {
    // A server that came up anyway would run until this timeout kills it (status null).
    const run = spawnSync(process.execPath, [path.join("node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", "0"], {
      encoding: "utf8",
      timeout: 45_000,
      killSignal: "SIGKILL",
      env: { ...process.env, NODE_OPTIONS: "", SESSION_SECRET: sessionSecret(), DATABASE_URL: `file:${path.join(directory, "keycard.db")}`, NEXT_TELEMETRY_DISABLED: "1" },
    });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain("started without lib/server/request-hooks.mjs");
    expect(run.stderr).toContain("npm start");
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
