// `npm test`: every test there is. Unit tests (vitest, on SQLite and on
// PostgreSQL), then the production build (with its self-contained server), then
// Playwright end to end against it in a real Chromium (on SQLite, and the specs
// that touch the database on PostgreSQL: playwright.config.ts). Ends with one
// line, "N passed, N failed", totalled over both runners and their projects.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findChromium } from "./find-chromium";

const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

const browser = findChromium(env);
if ("error" in browser) {
  console.error(browser.error);
  process.exit(1);
}
console.log(`Using ${browser.source}${browser.path ? `: ${browser.path}` : ""}`);

rmSync("reports", { recursive: true, force: true });
mkdirSync("reports");

function run(command: string, args: string[]): number {
  console.log(`\n$ ${command} ${args.join(" ")}`);
  const started = Date.now();
  const status = spawnSync(command, args, { stdio: "inherit", env }).status ?? 1;
  console.log(`(${command} ${args[0]}: ${Math.round((Date.now() - started) / 1000)} s)`);
  return status;
}

const unitStatus = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=reports/vitest.json"]);
// One production build serves both: `npm start` runs it as any build, and its
// self-contained server (the README's Deploy section) is copied out of the
// checkout, where the project's node_modules cannot stand in for a package it
// lacks, for e2e/standalone.spec.ts.
const standaloneDir = mkdtempSync(path.join(os.tmpdir(), "keycard-standalone-"));
const buildStatus = run("npm", ["run", "-s", "build:standalone"]);
if (buildStatus === 0) cpSync(".next/standalone", standaloneDir, { recursive: true, verbatimSymlinks: true });
env.E2E_STANDALONE_DIR = standaloneDir;
const e2eStatus = buildStatus === 0 ? run("npx", ["playwright", "test"]) : 1;
rmSync(standaloneDir, { recursive: true, force: true });

const unit = countVitest("reports/vitest.json");
const e2e = countPlaywright("reports/playwright.json");
const passed = unit.passed + e2e.passed;
const failed = unit.failed + e2e.failed + (buildStatus === 0 ? 0 : 1);
const skipped = unit.skipped + e2e.skipped;

console.log(`\nunit: ${unit.passed} passed, ${unit.failed} failed; e2e: ${e2e.passed} passed, ${e2e.failed} failed${buildStatus === 0 ? "" : "; a build failed"}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(unitStatus === 0 && buildStatus === 0 && e2eStatus === 0 && failed === 0 && passed > 0 ? 0 : 1);

type Counts = { passed: number; failed: number; skipped: number };

function readJson<T>(file: string): T | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : null;
}

type VitestReport = { success: boolean; numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };

function countVitest(file: string): Counts {
  const report = readJson<VitestReport>(file);
  if (!report) return { passed: 0, failed: 1, skipped: 0 };
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + (report.success || report.numFailedTests > 0 ? 0 : 1),
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

type PlaywrightReport = {
  stats?: { expected?: number; unexpected?: number; flaky?: number; skipped?: number };
  errors?: unknown[];
};

function countPlaywright(file: string): Counts {
  const report = readJson<PlaywrightReport>(file);
  if (!report) return { passed: 0, failed: 1, skipped: 0 };
  const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats ?? {};
  // A run that failed outside any test (global setup, web server) still fails.
  const outside = report.errors?.length ?? 0;
  return { passed: expected + flaky, failed: unexpected + outside, skipped };
}
