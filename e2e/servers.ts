// Second production servers, for tests that need settings of their own, a
// database of their own to break, or a server to stop: the same build as the
// main test server (playwright.config.ts), started the way a deployment starts
// it, `npm start` (configuration check, migrations, then `next start`); the
// development server, `npm run dev`, for what a developer's terminal does to it;
// or the self-contained server of the README's Deploy section.
import type { APIRequestContext } from "@playwright/test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../scripts/production-server";
import { expect, sessionSecret, sessionSetCookie, type TestUser } from "./fixtures";
import { asRoot, copyCheckoutForServerUser, handToServerUser, NOBODY, serverUserReadsCheckout } from "./server-user";

/** How a server process ended; `leftovers`: processes of its group still running after npm exited. */
export type Exit = { code: number | null; signal: NodeJS.Signals | null; leftovers: boolean };

export type Server = {
  origin: string;
  directory: string;
  databasePath: string;
  /** Everything the server printed. */
  output: () => string;
  /** The status of GET /api/health, 0 when nothing answers. */
  health: () => Promise<number>;
  /** Sends SIGTERM to npm alone, as `docker stop` does to PID 1, and waits for the end. */
  stop: () => Promise<Exit>;
};

export type ServerOptions = {
  /**
   * `npm start` by default; "dev": `npm run dev` (no build needed; the first
   * request compiles); "standalone": `node server.js` in `standaloneDir`, after
   * `npm run db:migrate` from this checkout, as the README's Deploy section says.
   */
  script?: "start" | "dev" | "standalone";
  /** The folder `npm run build:standalone` made, moved out of the checkout (scripts/test.ts). */
  standaloneDir?: string | undefined;
  env?: Record<string, string>;
  /** Options for `next start` (script "start" only), such as `--keepAliveTimeout`. */
  args?: string[];
  /** A folder holding keycard.db from an earlier server (a restart); by default a new one. */
  directory?: string;
  /** Keep the folder after stop(), to start another server on it. */
  keep?: boolean;
  /**
   * Run as "nobody" when the tests run as root (CI does), so that file
   * permissions mean something: root writes to a file whatever its mode. It
   * runs from a copy of the checkout when "nobody" cannot reach the checkout
   * (e2e/server-user.ts); check whyNoUnprivilegedServer() first.
   */
  unprivileged?: boolean;
  /** When the server counts as up, by the status of GET /api/health. */
  ready?: (status: number) => boolean;
};

function isGroupRunning(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startServer({
  script = "start",
  standaloneDir,
  env = {},
  args = [],
  directory,
  keep = false,
  unprivileged = false,
  ready = (status) => status === 200,
}: ServerOptions = {}): Promise<Server> {
  const folder = directory ?? mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-"));
  const databasePath = path.join(folder, "keycard.db");
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  if (unprivileged) handToServerUser(folder);
  const checkout = unprivileged && asRoot && !serverUserReadsCheckout() ? copyCheckoutForServerUser(folder) : process.cwd();
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    // npm writes its logs under HOME.
    ...(unprivileged ? { HOME: folder } : {}),
    npm_config_update_notifier: "false",
    PORT: String(port),
    DATABASE_URL: `file:${databasePath}`,
    SESSION_SECRET: sessionSecret(),
    BCRYPT_COST: "10",
    NEXT_TELEMETRY_DISABLED: "1",
    ...env,
  };
  // The standalone folder has no migrations of its own: they are applied from this checkout, as the README says.
  if (script === "standalone") migrate(serverEnv);
  const [command, commandArgs, cwd] = commandFor(script, standaloneDir, checkout, args);
  let output = "";
  // Its own process group, so stop() can tell whether anything outlived the process it started.
  const child: ChildProcess = spawn(command, commandArgs, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...(unprivileged && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    env: serverEnv,
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} ${commandArgs.join(" ")} did not start.`);

  const health = () => fetch(`${origin}/api/health`).then((response) => response.status, () => 0);
  const started = async () => {
    if (child.exitCode !== null) throw new Error(`The second server exited (${child.exitCode}): ${output}`);
    return ready(await health());
  };
  // The development server compiles each route on its first request.
  await expect.poll(started, { timeout: script === "dev" ? 180_000 : 90_000, intervals: [100, 250, 500] }).toBe(true);

  let stopped: Promise<Exit> | null = null;
  const stop = async (): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const ended = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000))]);
    const leftovers = isGroupRunning(pid);
    // Whatever happened, nothing of this server may outlive the test.
    if (leftovers || !ended) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (checkout !== process.cwd()) rmSync(checkout, { recursive: true, force: true });
    if (!keep) rmSync(folder, { recursive: true, force: true });
    return { code: ended?.[0] ?? null, signal: ended?.[1] ?? null, leftovers };
  };
  return {
    origin,
    directory: folder,
    databasePath,
    output: () => output,
    health,
    stop: () => (stopped ??= stop()),
  };
}

/** How `script` starts: the command, its arguments and its working directory. */
function commandFor(script: ServerOptions["script"], standaloneDir: string | undefined, checkout: string, args: string[]): [string, string[], string] {
  if (script === "dev") return ["npm", ["run", "dev"], checkout];
  if (script !== "standalone") return ["npm", ["start", ...(args.length ? ["--", ...args] : [])], checkout];
  if (!standaloneDir) throw new Error('startServer: script "standalone" needs standaloneDir.');
  return [process.execPath, ["server.js"], standaloneDir];
}

function migrate(env: NodeJS.ProcessEnv): void {
  const result = spawnSync("npm", ["run", "-s", "db:migrate"], { encoding: "utf8", env });
  if (result.status !== 0) throw new Error(`npm run db:migrate failed: ${result.stdout}${result.stderr}`);
}

/** Signs in to `server` through POST /api/session; returns the session cookie's value. */
export async function signInTo(server: Server, request: APIRequestContext, user: TestUser): Promise<string> {
  const response = await request.post(`${server.origin}/api/session`, { data: user, timeout: 30_000 });
  expect(response.status(), await response.text()).toBe(200);
  const seal = sessionSetCookie(response)?.value;
  if (!seal) throw new Error("POST /api/session set no session cookie.");
  return seal;
}

/** `next start` alone (no prestart migration), on a database file as the test leaves it. */
export async function startBareServer(databasePath: string): Promise<{ origin: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn("npx", ["next", "start", "-p", String(port)], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, DATABASE_URL: `file:${databasePath}`, SESSION_SECRET: sessionSecret(), NEXT_TELEMETRY_DISABLED: "1" },
  });
  const exited = once(child, "exit");
  return {
    origin: `http://localhost:${port}`,
    stop: async () => {
      if (child.pid !== undefined && child.exitCode === null) {
        process.kill(-child.pid, "SIGTERM");
        await exited;
      }
    },
  };
}
