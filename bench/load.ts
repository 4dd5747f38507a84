// `npm run load`: load and concurrency checks against the production build, on
// demand (not in CI: it keeps both cores busy for a minute or two). On its own
// server with a throwaway database:
//   1. 10,000 GET /dashboard with a valid session at 64 connections: all 200 "Welcome".
//   2. 100 parallel sign-ins over 20 accounts, right and wrong passwords mixed:
//      no 5xx; right → 200 with a cookie, wrong → 401 (429 only when throttled).
//   3. 50 parallel sign-ups of one new username through the no-JS form: no 5xx,
//      exactly one account and one session, every other answer "taken".
// Fails (exit 1) on any miss, and when the server's output shows "database is
// locked", SQLITE_BUSY or an unhandled error.
import autocannon from "autocannon";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { noJsFormData, serverActionInputs } from "../test/no-js-form";
import { startProductionServer, type ProductionServer } from "./production-server";

const ACCOUNTS = 20;
const ATTEMPTS_PER_ACCOUNT = 5;
// Wrong passwords per account, cycling: at most 5 failures, so no account is
// throttled by the burst, and some accounts get no right password at all.
const WRONG_PER_ACCOUNT = [0, 1, 2, 3, 5];
const SIGNUPS = 50;
const DASHBOARD_REQUESTS = 10_000;
const CONNECTIONS = 64;

type PhaseReport = { name: string; requests: number; statuses: Map<string, number>; seconds: number; latencies: { p50: number; p99: number }; failures: string[] };

// ---- Setup ---------------------------------------------------------------

type Account = { username: string; password: string };

/** The accounts, made with the operator CLI against the server's database, a few at a time. */
async function createAccounts(target: ProductionServer): Promise<Account[]> {
  const accounts = Array.from({ length: ACCOUNTS }, (_, index) => ({
    username: `load-${index}-${randomBytes(3).toString("hex")}`,
    password: `Brisk-Harbor-${randomBytes(6).toString("hex")}`,
  }));
  const started = performance.now();
  for (let index = 0; index < accounts.length; index += 4) {
    await Promise.all(
      accounts.slice(index, index + 4).map(async ({ username, password }) => {
        const { status, output } = await target.users(["add", username, "--password-stdin"], `${password}\n`);
        if (status !== 0) throw new Error(`load: \`users add ${username}\` failed (${status}): ${output}`);
      }),
    );
  }
  console.log(`load: ${accounts.length} accounts created with the CLI in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return accounts;
}

/**
 * A client per simulated client: a /64 of its own in the IPv6 documentation
 * range (IPv6 is throttled by /64), a header value only.
 */
function clientAddress(n: number): Record<string, string> {
  return { "X-Forwarded-For": `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1` };
}

let nextClient = 1;
const newClient = () => clientAddress(nextClient++);

function sessionCookieOf(response: Response): string | undefined {
  return response.headers
    .getSetCookie()
    .map((header) => /^((?:__Host-)?keycard_session)=([^;]+)/.exec(header))
    .find((match) => match !== null)
    ?.slice(1, 3)
    .join("=");
}

async function signIn(target: ProductionServer, { username, password }: Account, client = newClient()): Promise<Response> {
  return fetch(`${target.origin}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: target.origin, ...client },
    body: JSON.stringify({ username, password }),
  });
}

// ---- Phase 1 ---------------------------------------------------------------

async function loadDashboard(target: ProductionServer, account: Account | undefined): Promise<PhaseReport> {
  if (!account) throw new Error("load: no account to sign in with.");
  const signedIn = await signIn(target, account);
  const cookie = sessionCookieOf(signedIn);
  if (signedIn.status !== 200 || !cookie) throw new Error(`load: signing ${account.username} in answered ${signedIn.status}.`);

  const result = await autocannon({
    url: `${target.origin}/dashboard`,
    connections: CONNECTIONS,
    amount: DASHBOARD_REQUESTS,
    timeout: 30,
    headers: { cookie, ...newClient() },
    verifyBody: (body) => body.includes("Welcome"),
  });
  const statuses = new Map(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
  if (result.errors > 0) statuses.set("error", result.errors);
  if (result.timeouts > 0) statuses.set("timeout", result.timeouts);
  const answered = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  const failures: string[] = [];
  if (result.non2xx + result.errors + result.timeouts + result.mismatches > 0 || statuses.get("200") !== DASHBOARD_REQUESTS) {
    failures.push(
      `GET /dashboard: ${statuses.get("200") ?? 0} of ${DASHBOARD_REQUESTS} were 200; ${result.non2xx} other statuses, ` +
        `${result.errors} errors, ${result.timeouts} timeouts, ${result.mismatches} without "Welcome".`,
    );
  }
  return {
    name: `GET /dashboard ×${DASHBOARD_REQUESTS}, ${CONNECTIONS} connections`,
    requests: answered,
    statuses,
    seconds: result.duration,
    latencies: { p50: result.latency.p50, p99: result.latency.p99 },
    failures,
  };
}

// ---- Phase 2 ---------------------------------------------------------------

type Timed<T> = T & { status: number; milliseconds: number };

/** Runs every request at once; each answer with its status and how long it took. */
async function burst<T>(items: T[], send: (item: T) => Promise<Response>) {
  const started = performance.now();
  const answers = await Promise.all(
    items.map(async (item): Promise<Timed<T & { body: string; cookie: string | undefined; location: string | null }>> => {
      const begin = performance.now();
      const response = await send(item);
      const body = await response.text();
      const milliseconds = performance.now() - begin;
      return { ...item, body, cookie: sessionCookieOf(response), location: response.headers.get("location"), status: response.status, milliseconds };
    }),
  );
  return { answers, seconds: (performance.now() - started) / 1000 };
}

async function signInBurst(target: ProductionServer, accounts: Account[]): Promise<PhaseReport> {
  const attempts = accounts.flatMap((account, index) => {
    const wrong = WRONG_PER_ACCOUNT[index % WRONG_PER_ACCOUNT.length] ?? 0;
    return Array.from({ length: ATTEMPTS_PER_ACCOUNT }, (_, attempt) => ({
      username: account.username,
      password: attempt < wrong ? `${account.password}-wrong` : account.password,
      right: attempt >= wrong,
    }));
  });
  shuffle(attempts);
  const { answers, seconds } = await burst(attempts, (attempt) => signIn(target, attempt));
  const failures: string[] = [];
  for (const answer of answers) {
    const what = `POST /api/session ${answer.username} (${answer.right ? "right" : "wrong"} password) → ${answer.status}`;
    if (answer.status >= 500) failures.push(`${what}: ${answer.body.slice(0, 200)}`);
    else if (answer.right && !(answer.status === 200 && answer.cookie) && answer.status !== 429) failures.push(`${what}, cookie ${answer.cookie ? "set" : "missing"}`);
    else if (!answer.right && answer.status !== 401 && answer.status !== 429) failures.push(what);
  }
  const right = attempts.filter((attempt) => attempt.right).length;
  return {
    name: `POST /api/session ×${attempts.length} at once (${right} right, ${attempts.length - right} wrong)`,
    requests: answers.length,
    statuses: histogram(answers.map((answer) => `${answer.status}${answer.right ? " right" : " wrong"}`)),
    seconds,
    latencies: percentiles(answers.map((answer) => answer.milliseconds)),
    failures,
  };
}

// ---- Phase 3 ---------------------------------------------------------------

async function signupRace(target: ProductionServer): Promise<PhaseReport> {
  const username = `race-${randomBytes(4).toString("hex")}`;
  const page = await fetch(`${target.origin}/signup`, { headers: newClient() });
  const actionInputs = serverActionInputs(await page.text());
  const signups = Array.from({ length: SIGNUPS }, (_, index) => ({ index, password: `Quiet-Meadow-${index}-${randomBytes(6).toString("hex")}` }));
  const { answers, seconds } = await burst(
    signups,
    ({ password }) =>
      fetch(`${target.origin}/signup`, {
        method: "POST",
        headers: { Origin: target.origin, ...newClient() },
        body: noJsFormData(actionInputs, [["username", username], ["password", password], ["confirm", password]]),
        redirect: "manual",
      }),
  );

  const failures: string[] = [];
  // Success: the action's redirect to the dashboard (303) with a session cookie.
  const winners = answers.filter((answer) => answer.status === 303 && answer.cookie && answer.location?.startsWith("/dashboard"));
  const taken = answers.filter((answer) => answer.status === 200 && answer.body.includes("That username is taken."));
  for (const answer of answers) {
    if (winners.includes(answer) || taken.includes(answer)) continue;
    failures.push(`POST /signup #${answer.index} → ${answer.status}${answer.location ? ` to ${answer.location}` : ""}: ${textOf(answer.body)}`);
  }
  if (winners.length !== 1) failures.push(`${winners.length} sign-ups of ${username} succeeded, not exactly 1.`);

  const listed = await target.users(["list"]);
  const rows = listed.output.split("\n").filter((line) => line.split("\t")[0] === username).length;
  if (listed.status !== 0 || rows !== 1) failures.push(`\`users list\` shows ${rows} rows named ${username} (status ${listed.status}).`);
  const winner = winners[0];
  if (winner?.cookie) await checkWinner(target, username, winner.password, winner.cookie, failures);

  return {
    name: `POST /signup ×${SIGNUPS} at once, one username`,
    requests: answers.length,
    statuses: histogram(answers.map((answer) => (winners.includes(answer) ? `${answer.status} created` : taken.includes(answer) ? `${answer.status} taken` : String(answer.status)))),
    seconds,
    latencies: percentiles(answers.map((answer) => answer.milliseconds)),
    failures,
  };
}

/** The account belongs to the winner: their cookie is that user, their password signs in. */
async function checkWinner(target: ProductionServer, username: string, password: string, cookie: string, failures: string[]): Promise<void> {
  const me = await fetch(`${target.origin}/api/session`, { headers: { cookie, ...newClient() } });
  const body = (await me.json().catch(() => null)) as { user?: { username?: string } } | null;
  if (me.status !== 200 || body?.user?.username !== username) failures.push(`The winner's cookie is not ${username}: ${me.status}.`);
  const again = await signIn(target, { username, password });
  if (again.status !== 200) failures.push(`The winner's password does not sign in to ${username}: ${again.status}.`);
}

/** The visible text of an HTML answer, shortened, for a failure message. */
function textOf(html: string): string {
  const alert = /role="alert"[^>]*>([^<]*)</.exec(html)?.[1];
  return (alert ?? html.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ")).slice(0, 160);
}

// ---- Server output ------------------------------------------------------------

const LOG_PROBLEMS = [/database is locked/i, /SQLITE_BUSY/i, /unhandled/i, /uncaught/i, /⨯/, /^\s+at\s+\S/m, /\bError:/];

/** Lines of the server's output that show a locked database or an error nobody handled. */
function problemsInLog(log: string): string[] {
  return log.split("\n").filter((line) => LOG_PROBLEMS.some((pattern) => pattern.test(line)));
}

// ---- Report -------------------------------------------------------------------

function histogram(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys.sort()) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

function percentiles(milliseconds: number[]): { p50: number; p99: number } {
  const sorted = [...milliseconds].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

function shuffle<T>(items: T[]): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
}

function printSummary(reports: PhaseReport[], logProblems: string[]): void {
  const rows = reports.map((report) => [
    report.name,
    String(report.requests),
    [...report.statuses].map(([status, count]) => `${status}: ${count}`).join(", "),
    (report.requests / report.seconds).toFixed(0),
    report.latencies.p50.toFixed(0),
    report.latencies.p99.toFixed(0),
    report.failures.length === 0 ? "ok" : "FAILED",
  ]);
  const header = ["phase", "requests", "statuses", "req/s", "p50 ms", "p99 ms", "result"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
  console.log(`\n${line(header)}\n${line(widths.map((width) => "-".repeat(width)))}`);
  for (const row of rows) console.log(line(row));
  for (const report of reports) for (const failure of report.failures.slice(0, 20)) console.log(`\nFAILED ${report.name}: ${failure}`);
  if (logProblems.length > 0) console.log(`\nServer output shows problems:\n${logProblems.slice(0, 40).join("\n")}`);
  else console.log("\nServer output: no \"database is locked\", SQLITE_BUSY or unhandled error.");
}

// ---- Run ------------------------------------------------------------------------

let server: ProductionServer | undefined;

process.once("SIGINT", () => {
  console.error("\nload: interrupted; stopping the server.");
  void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

async function main(): Promise<number> {
  try {
    server = await startProductionServer({
      // Each simulated client sends its own X-Forwarded-For, which the server takes
      // as the client's address only when it trusts one proxy. Otherwise every
      // request is 127.0.0.1, and the per-address throttles (20 failed sign-ins,
      // 5 sign-ups a minute) would turn this into a test of throttling.
      TRUST_PROXY: "1",
      // What is measured here is concurrency, not bcrypt: cost 10 (the minimum the
      // app accepts, as in the e2e tests) instead of production's 12.
      BCRYPT_COST: "10",
      // The session cookie stays as in production (__Host-, Secure): these clients
      // send it back by hand, and Node's clients do not refuse it over http.
    });
    console.log(`load: server at ${server.origin}`);
    const accounts = await createAccounts(server);
    const reports = [await loadDashboard(server, accounts[0]), await signInBurst(server, accounts), await signupRace(server)];
    await server.stop();
    const logProblems = problemsInLog(server.log());
    printSummary(reports, logProblems);
    return reports.some((report) => report.failures.length > 0) || logProblems.length > 0 ? 1 : 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    if (server) console.error(`\nServer output:\n${server.log().slice(-4000)}`);
    return 1;
  } finally {
    await server?.stop();
  }
}

process.exitCode = await main();
