import { defineConfig, devices } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findChromium } from "./scripts/find-chromium";

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;

// Set once in the runner process; its workers inherit the environment, so every
// process agrees on the same throwaway secret and database.
process.env.E2E_SESSION_SECRET ??= randomBytes(32).toString("base64url");
process.env.E2E_DATABASE_PATH ??= path.join(mkdtempSync(path.join(os.tmpdir(), "keycard-e2e-")), "keycard.db");

const browser = findChromium();
if ("error" in browser) throw new Error(browser.error);

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
    baseURL,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"], launchOptions: { executablePath: browser.path } },
    },
  ],
  webServer: {
    command: "npx tsx scripts/e2e-server.ts",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORT: String(port),
      SESSION_SECRET: process.env.E2E_SESSION_SECRET,
      DATABASE_URL: `file:${process.env.E2E_DATABASE_PATH}`,
      BCRYPT_COST: "10",
      NEXT_TELEMETRY_DISABLED: "1",
      // Every request comes from 127.0.0.1, so per-address throttles would leak from
      // test to test. Trusting one proxy lets each test be its own client address
      // through X-Forwarded-For (the `extraHTTPHeaders` fixture in e2e/fixtures.ts).
      TRUST_PROXY: "1",
    },
  },
});
