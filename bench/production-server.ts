// A production server of its own for bench/load.ts: `npm start` on the existing
// build, a free loopback port, a throwaway database in a temporary folder, and
// everything it prints kept, so the caller can look for errors in it.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { freePort } from "../scripts/free-port";
import os from "node:os";
import path from "node:path";

export type ProductionServer = {
  origin: string;
  /** The environment the server runs with; the user CLI needs the same database. */
  env: NodeJS.ProcessEnv;
  /** Everything the server has printed so far, stdout and stderr interleaved. */
  log: () => string;
  /** `npm run users -- …` against the server's database. */
  users: (args: string[], input?: string) => Promise<{ status: number | null; output: string }>;
  /** Stops npm, Next.js and anything else in the server's process group; removes the database. */
  stop: () => Promise<void>;
};

export function requireProductionBuild(): void {
  if (!existsSync(path.join(".next", "BUILD_ID"))) {
    throw new Error("production-server: no production build (.next/BUILD_ID is missing). Run `npm run build` first.");
  }
}

export async function startProductionServer(settings: Record<string, string>): Promise<ProductionServer> {
  requireProductionBuild();
  const directory = mkdtempSync(path.join(os.tmpdir(), "keycard-load-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: `file:${path.join(directory, "keycard.db")}`,
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    NEXT_TELEMETRY_DISABLED: "1",
    // Bound to loopback only: the load goes nowhere else.
    HOSTNAME: "127.0.0.1",
    ...settings,
  };
  let log = "";
  // Its own process group (detached), so stopping it stops npm and Next.js under it.
  const child = spawn("npm", ["start"], { detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  // Should this process end without stop() (a crash), the server must not outlive it.
  const killOnExit = () => signalGroup(child.pid, "SIGKILL");
  process.on("exit", killOnExit);
  const server: ProductionServer = {
    origin: `http://127.0.0.1:${port}`,
    env,
    log: () => log,
    users: (args, input = "") => runUsersCli(args, input, env),
    stop: async () => {
      await stopGroup(child);
      process.off("exit", killOnExit);
      rmSync(directory, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilHealthy(server.origin, child, () => log);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilHealthy(origin: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`production-server: the server exited (${child.exitCode}):\n${log()}`);
    const status = await fetch(`${origin}/api/health`).then((response) => response.status, () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`production-server: /api/health did not answer 200 within 60 s:\n${log()}`);
}

/** SIGTERM to the whole group; SIGKILL to whatever of it is left 10 s later. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const { pid } = child;
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  for (let waited = 0; waited < 10_000 && groupAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  signalGroup(pid, "SIGKILL");
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals a detached child and everything it started (its process group); nothing when it is gone. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function runUsersCli(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const cli = spawn("npm", ["run", "-s", "users", "--", ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    cli.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    cli.on("close", (status) => resolve({ status, output }));
    cli.stdin.end(input);
  });
}
