// `npm run bench:paired -- A_DIR B_DIR [signed-in|redirect] [rounds] [seconds]`:
// server CPU time per request of two built Next.js apps, measured side by side
// (docs/performance.md, "Measuring small differences"). Linux only.
//
// Both servers run at the same time, pinned to the second core (taskset -c 1),
// and are loaded at the same time from this process, pinned to the first, at 4
// connections each. CPU time is read from /proc (utime + stime of each server
// and its children) before and after each round and divided by the requests
// answered. Both see the same machine at the same moment, so a busy neighbour
// slows both alike: the ratio stays steady where req/s measured one app after
// the other swings by ±10% on a shared machine.
//
// Each directory is a built Keycard checkout (it gets a throwaway database, a
// migrated schema and one user it signs in as) or any other Next.js app
// (`signed-in` then sends the cookie in PAIRED_COOKIE_B or PAIRED_COOKIE_A, e.g.
// the bench baseline's "baseline_session=1"). The page is /dashboard, signed in
// or not (the redirect to sign-in).
//
// PAIRED_DATABASE_URL_A / _B run that app on the database named (a fresh,
// empty PostgreSQL database, say) instead of a throwaway SQLite file, and
// PAIRED_DATABASE_PID_A / _B (a PostgreSQL postmaster's pid) count that
// server's CPU, all its backends included, as part of the app's; pin it to the
// servers' core first (`taskset -a -cp 1 PID`).
//
// Prints each round and the median ratio B ÷ A: above 1, A spends less CPU per
// request than B.
import autocannon from "autocannon";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { freePort } from "../scripts/free-port";
import { signalGroup } from "./production-server";

type Page = "signed-in" | "redirect";
type App = { dir: string; origin: string; process: ChildProcess; cookie: string | undefined; cleanup: () => void; cpuMs: () => number };

const USAGE = "Usage: npm run bench:paired -- A_DIR B_DIR [signed-in|redirect] [rounds=6] [seconds=8]";
const USER = { username: "paired", password: `Lantern-Orbit-${randomBytes(6).toString("hex")}` };
const SERVER_CORE = "1";
const LOAD_CORE = "0";

function isKeycard(dir: string): boolean {
  return existsSync(path.join(dir, "scripts", "users.ts")) && existsSync(path.join(dir, "lib", "dal.ts"));
}

/** CPU time in ms (ticks of 10 ms) of `pid` and all its descendants, from /proc. */
function cpuMs(pid: number): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    total += ticks.get(next) ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return total * 10;
}

async function startApp(label: string, dir: string, page: Page, cookieFromEnv: string | undefined): Promise<App> {
  if (!existsSync(path.join(dir, ".next", "BUILD_ID"))) throw new Error(`${dir}: no production build (run next build there first).`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(path.join(os.tmpdir(), "keycard-paired-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: process.env[`PAIRED_DATABASE_URL_${label}`] ?? `file:${path.join(data, "keycard.db")}`,
    SESSION_SECRET: randomBytes(32).toString("base64url"),
  };
  // Filled in once the server starts; cleanup may run before (a failed migration).
  const server: { child?: ChildProcess } = {};
  const cleanup = () => {
    signalGroup(server.child?.pid, "SIGKILL");
    rmSync(data, { recursive: true, force: true });
  };
  process.on("exit", cleanup);
  const keycard = isKeycard(dir);
  if (keycard) {
    execFileSync("npm", ["run", "-s", "db:migrate"], { cwd: dir, env, stdio: "ignore" });
    const added = spawnSync("npm", ["run", "-s", "users", "--", "add", USER.username, "--password-stdin"], { cwd: dir, env, input: `${USER.password}\n` });
    if (added.status !== 0) throw new Error(`${dir}: could not add the user: ${added.stderr.toString()}`);
  }
  const next = path.join(dir, "node_modules", "next", "dist", "bin", "next");
  // As its npm start does, in a Keycard checkout that has the request hooks.
  const hooks = [path.join(dir, "lib", "server", "request-hooks.mjs"), path.join(dir, "lib", "request-hooks.mjs")].find((file) => existsSync(file));
  const preload = hooks ? ["--import", pathToFileURL(hooks).href] : [];
  const child = (server.child = spawn("taskset", ["-c", SERVER_CORE, process.execPath, ...preload, next, "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: dir,
    env,
    stdio: "ignore",
    detached: true,
  }));
  for (let waited = 0; ; waited += 200) {
    if (child.exitCode !== null) throw new Error(`${dir}: the server exited (${child.exitCode}).`);
    if (await fetch(`${origin}/login`).then(() => true, () => false)) break;
    if (waited > 60_000) throw new Error(`${dir}: the server did not answer within 60 s.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let cookie: string | undefined;
  if (page === "signed-in") cookie = keycard ? await signIn(origin) : cookieFromEnv;
  if (page === "signed-in" && !cookie) throw new Error(`${dir} is not a Keycard checkout: give its session cookie in PAIRED_COOKIE_${label}.`);
  // The load must get what it is meant to measure: the page, or the redirect.
  const check = await fetch(`${origin}/dashboard`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
  const expected = page === "signed-in" ? 200 : 307;
  if (check.status !== expected) throw new Error(`${dir}: GET /dashboard answered ${check.status}, not ${expected}.`);
  const databasePid = Number(process.env[`PAIRED_DATABASE_PID_${label}`] ?? 0);
  const appCpuMs = () => cpuMs(child.pid!) + (databasePid ? cpuMs(databasePid) : 0);
  return { dir, origin, process: child, cookie, cleanup, cpuMs: appCpuMs };
}

async function signIn(origin: string): Promise<string> {
  const response = await fetch(`${origin}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify(USER),
  });
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
  if (!response.ok || !cookie) throw new Error(`${origin}: sign-in answered ${response.status}.`);
  return cookie;
}

function load(app: App, seconds: number) {
  return autocannon({ url: `${app.origin}/dashboard`, connections: 4, duration: seconds, headers: app.cookie ? { cookie: app.cookie } : {} });
}

async function main(): Promise<void> {
  const [dirA, dirB, page = "signed-in", roundsArg = "6", secondsArg = "8"] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  const seconds = Number(secondsArg);
  if (!dirA || !dirB || (page !== "signed-in" && page !== "redirect") || !(rounds >= 1) || !(seconds >= 1)) throw new Error(USAGE);
  // Ctrl-C: through process.exit, so the "exit" handlers stop the servers (their own process groups).
  process.once("SIGINT", () => process.exit(130));
  // This process is the load generator: keep it off the servers' core.
  execFileSync("taskset", ["-cp", LOAD_CORE, String(process.pid)], { stdio: "ignore" });

  const a = await startApp("A", path.resolve(dirA), page, process.env.PAIRED_COOKIE_A);
  const b = await startApp("B", path.resolve(dirB), page, process.env.PAIRED_COOKIE_B);
  try {
    console.log(`A ${a.dir}\nB ${b.dir}\n${page} /dashboard, ${rounds} round(s) of ${seconds} s after 2 warm-up rounds`);
    for (let warm = 0; warm < 2; warm++) await Promise.all([load(a, seconds), load(b, seconds)]);
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const [cpuA, cpuB] = [a.cpuMs(), b.cpuMs()];
      const [resultA, resultB] = await Promise.all([load(a, seconds), load(b, seconds)]);
      const perRequestA = (a.cpuMs() - cpuA) / resultA.requests.total;
      const perRequestB = (b.cpuMs() - cpuB) / resultB.requests.total;
      const failed = (result: typeof resultA) => result.errors + result.timeouts + (page === "signed-in" ? result.non2xx : 0);
      if (failed(resultA) + failed(resultB) > 0) throw new Error(`round ${round}: failed requests (A ${failed(resultA)}, B ${failed(resultB)}).`);
      const ratio = perRequestB / perRequestA;
      ratios.push(ratio);
      console.log(
        `round ${round}: A ${perRequestA.toFixed(3)} ms/request (${resultA.requests.total}), ` +
          `B ${perRequestB.toFixed(3)} ms/request (${resultB.requests.total}), B÷A ×${ratio.toFixed(3)}`,
      );
    }
    ratios.sort((x, y) => x - y);
    const median = ratios[Math.floor(ratios.length / 2)] ?? NaN;
    console.log(`median B÷A ×${median.toFixed(3)} (${ratios[0]?.toFixed(3)}–${ratios.at(-1)?.toFixed(3)})`);
  } finally {
    a.cleanup();
    b.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
