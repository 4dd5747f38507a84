// Second production servers, for tests that need settings of their own, a
// database of their own to break, or a server to stop: the same build as the
// main test server (playwright.config.ts), started the way a deployment starts
// it, `npm start` (configuration check, migrations, then `next start`); the
// development server, `npm run dev`, for what a developer's terminal does to it;
// or the self-contained server of the README's Deploy section. Each gets a new
// database of the kind its project uses (e2e/fixtures.ts newDatabase): a SQLite
// file in its folder, or a PostgreSQL database on the e2e cluster.
import type { APIRequestContext } from "@playwright/test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { signalGroup } from "../bench/production-server";
import { freePort } from "../scripts/free-port";
import { databaseUrl, removeDatabase, type TestDatabase } from "./database";
import { expect, newDatabase, sessionSecret, sessionSetCookie, type TestUser } from "./fixtures";
import { asRoot, copyCheckoutForServerUser, handToServerUser, NOBODY, serverUserReadsCheckout } from "./server-user";

/** How a server process ended; `leftovers`: processes of its group still running after npm exited. */
export type Exit = { code: number | null; signal: NodeJS.Signals | null; leftovers: boolean };

export type Server = {
  origin: string;
  directory: string;
  database: TestDatabase;
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
  /** The server's working folder (npm's logs; a SQLite database's file by default); by default a new one. */
  directory?: string;
  /** The database to run on, e.g. an earlier server's (a restart); by default a new one (e2e/fixtures.ts newDatabase). */
  database?: TestDatabase;
  /** Keep the folder and the database after stop(), to start another server on them (removeServerData() then). */
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
  /** The address to listen on (HOSTNAME); by default Next.js's, every interface. */
  host?: string | undefined;
};

function isGroupRunning(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `script` in a process group of its own, in `folder`, on `database`. */
async function launch({
  script,
  standaloneDir,
  env,
  args,
  folder,
  database,
  unprivileged,
  host,
}: Required<Pick<ServerOptions, "script" | "env" | "args" | "unprivileged" | "database">> & {
  standaloneDir: string | undefined;
  folder: string;
  host: string | undefined;
}) {
  const port = await freePort();
  const origin = `http://${host ?? "localhost"}:${port}`;
  if (unprivileged) handToServerUser(folder);
  const checkout = unprivileged && asRoot && !serverUserReadsCheckout() ? copyCheckoutForServerUser(folder) : process.cwd();
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    // npm writes its logs under HOME.
    ...(unprivileged ? { HOME: folder } : {}),
    npm_config_update_notifier: "false",
    PORT: String(port),
    DATABASE_URL: databaseUrl(database),
    SESSION_SECRET: sessionSecret(),
    BCRYPT_COST: "10",
    NEXT_TELEMETRY_DISABLED: "1",
    // `npm start` listens where HOSTNAME says; a CI machine's own name must not decide.
    HOSTNAME: host,
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
  return { child, pid, exited, origin, checkout, output: () => output, health };
}

export async function startServer({
  script = "start",
  standaloneDir,
  env = {},
  directory,
  database: given,
  keep = false,
  unprivileged = false,
  ready = (status) => status === 200,
  host,
  args = [],
}: ServerOptions = {}): Promise<Server> {
  const folder = directory ?? mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-"));
  const database = given ?? newDatabase(folder);
  const { child, pid, exited, origin, checkout, output, health } = await launch({ script, standaloneDir, env, args, folder, database, unprivileged, host });
  const started = async () => {
    if (child.exitCode !== null) throw new Error(`The second server exited (${child.exitCode}): ${output()}`);
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
    if (leftovers || !ended) signalGroup(pid, "SIGKILL");
    if (checkout !== process.cwd()) rmSync(checkout, { recursive: true, force: true });
    if (!keep) removeServerData({ directory: folder, database });
    return { code: ended?.[0] ?? null, signal: ended?.[1] ?? null, leftovers };
  };
  return {
    origin,
    directory: folder,
    database,
    output,
    health,
    stop: () => (stopped ??= stop()),
  };
}

/** Removes what a server stopped with `keep` left: its folder and its database. */
export function removeServerData({ directory, database }: Pick<Server, "directory" | "database">): void {
  rmSync(directory, { recursive: true, force: true });
  removeDatabase(database);
}

/** A server refused to start: how it exited, what it printed, and every status GET /api/health got meanwhile. */
export type Refusal = { code: number | null; output: string; answered: number[] };

/**
 * Runs a server that should refuse to start, in `folder`, on `database` (by
 * default a new one), until it exits by itself (or, if it never does, for
 * `timeoutMs`, then kills it), asking GET /api/health all along: a refusal answers nothing.
 */
export async function runRefusedStart({
  script = "start",
  standaloneDir,
  env = {},
  folder,
  database: given,
  timeoutMs = 60_000,
}: Pick<ServerOptions, "script" | "standaloneDir" | "env" | "database"> & { folder: string; timeoutMs?: number }): Promise<Refusal> {
  const database = given ?? newDatabase(folder);
  const { child, pid, exited, output, health } = await launch({ script, standaloneDir, env, args: [], folder, database, unprivileged: false, host: undefined });
  const answered: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
    const status = await health();
    if (status !== 0) answered.push(status);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  signalGroup(pid, "SIGKILL");
  const [code] = await exited;
  if (!given) removeDatabase(database);
  return { code, output: output(), answered };
}

/** What npm start does first, and the README says for the standalone server. */
export const PRELOAD_HOOKS = ["--import", "./lib/server/request-hooks.mjs"];

/** How `script` starts: the command, its arguments and its working directory. */
function commandFor(script: ServerOptions["script"], standaloneDir: string | undefined, checkout: string, args: string[]): [string, string[], string] {
  if (script === "dev") return ["npm", ["run", "dev"], checkout];
  if (script !== "standalone") return ["npm", ["start", ...(args.length ? ["--", ...args] : [])], checkout];
  if (!standaloneDir) throw new Error('startServer: script "standalone" needs standaloneDir.');
  return [process.execPath, [...PRELOAD_HOOKS, "server.js"], standaloneDir];
}

/** Applies the migrations from this checkout to DATABASE_URL in `env` (`npm run db:migrate`). */
export function migrate(env: NodeJS.ProcessEnv): void {
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

/** `next start` alone (no prestart migration), on DATABASE_URL `url` as the test leaves it. */
export async function startBareServer(url: string): Promise<{ origin: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn("npx", ["next", "start", "-p", String(port)], {
    detached: true,
    stdio: "ignore",
    env: {
      ...process.env,
      NODE_OPTIONS: PRELOAD_HOOKS.join("="),
      DATABASE_URL: url,
      SESSION_SECRET: sessionSecret(),
      NEXT_TELEMETRY_DISABLED: "1",
    },
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
