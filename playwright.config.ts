import { defineConfig, devices } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findChromium } from "./scripts/find-chromium";
import { freePort } from "./scripts/free-port";

// Two main servers, the same build on either database: the "chromium" project
// runs every spec against SQLite, the "postgresql" project the specs below
// against PostgreSQL (a throwaway cluster scripts/e2e-server.ts starts).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;
const postgresBaseURL = `http://localhost:${port + 1}`;

// Set once in the runner process; its workers inherit the environment, so every
// process agrees on the same throwaway secret and databases.
process.env.E2E_SESSION_SECRET ??= randomBytes(32).toString("base64url");
process.env.E2E_TOTP_ENCRYPTION_KEY ??= randomBytes(32).toString("base64url");
process.env.E2E_DATABASE_PATH ??= path.join(mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-")), "keycard.db");
process.env.E2E_POSTGRES_CLUSTER_URL ??= `postgresql://keycard@127.0.0.1:${await freePort()}/postgres`;
process.env.E2E_POSTGRES_URL ??= Object.assign(new URL(process.env.E2E_POSTGRES_CLUSTER_URL), { pathname: "/keycard" }).toString();

/**
 * On PostgreSQL: every spec whose tests read or write the database, sign in or
 * sign up. Left out, as their subject is the same whatever the database (they
 * sign in only to reach what they test, and sign-in on PostgreSQL is
 * sign-in.spec.ts's), to keep the run within CI's time:
 * - headers.spec.ts: response headers and the CSP;
 * - redirects.spec.ts: where `next` may send a visitor;
 * - csrf.spec.ts: cross-site requests, refused by middleware before any query;
 * - faults.spec.ts: a SQLite file moved, locked or made read-only
 *   (faults-postgres.spec.ts is PostgreSQL's own).
 */
const ON_POSTGRESQL = [
  "account",
  "api",
  "attacks",
  "audit",
  "cli",
  "configuration",
  "demo-account",
  "faults-postgres",
  "fuzz",
  "fuzz-requests",
  "lifecycle",
  "passkeys",
  "sessions",
  "sign-in",
  "signup",
  "standalone",
  "startup",
  "throttling",
  "two-factor",
].map((name) => `${name}.spec.ts`);

const browser = findChromium();
if ("error" in browser) throw new Error(browser.error);
const chromium = { ...devices["Desktop Chrome"], launchOptions: browser.path ? { executablePath: browser.path } : {} };

const serverEnv = {
  SESSION_SECRET: process.env.E2E_SESSION_SECRET,
  TOTP_ENCRYPTION_KEY: process.env.E2E_TOTP_ENCRYPTION_KEY,
  BCRYPT_COST: "10",
  NEXT_TELEMETRY_DISABLED: "1",
  // Every request comes from 127.0.0.1, so per-address throttles would leak from
  // test to test. Trusting one proxy lets each test be its own client address
  // through X-Forwarded-For (the `extraHTTPHeaders` fixture in e2e/fixtures.ts).
  TRUST_PROXY: "1",
  // Passkeys are bound to the site's name: the tests reach the servers as localhost.
  WEBAUTHN_RP_ID: "localhost",
};

export default defineConfig({
  testDir: "e2e",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  // Generous for a machine busy with other work, where a test that takes 5 s
  // alone can take several times that; they only count when a test hangs.
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: "reports/playwright.json" }]],
  use: {
    trace: "retain-on-failure",
  },
  projects: [
    { name: "chromium", testIgnore: "faults-postgres.spec.ts", use: { ...chromium, baseURL } },
    { name: "postgresql", testMatch: ON_POSTGRESQL, use: { ...chromium, baseURL: postgresBaseURL } },
  ],
  webServer: [
    {
      command: "npx tsx scripts/e2e-server.ts",
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: "ignore",
      stderr: "pipe",
      env: { ...serverEnv, PORT: String(port), WEBAUTHN_ORIGIN: baseURL, DATABASE_URL: `file:${process.env.E2E_DATABASE_PATH}` },
    },
    {
      command: "npx tsx scripts/e2e-server.ts",
      url: `${postgresBaseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: "ignore",
      stderr: "pipe",
      // A signal, not SIGKILL, so that the server's exit stops its cluster.
      gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
      env: { ...serverEnv, PORT: String(port + 1), WEBAUTHN_ORIGIN: postgresBaseURL, DATABASE_URL: process.env.E2E_POSTGRES_URL },
    },
  ],
});
