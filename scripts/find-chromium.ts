// Which Chromium the end-to-end tests drive: CHROMIUM_PATH, else Debian's
// /usr/bin/chromium, else the browser `npx playwright install` downloads.
import { existsSync } from "node:fs";
import { chromium } from "playwright";

export const INSTALL_HINT =
  "No Chromium found for the end-to-end tests: install one (`sudo apt-get install chromium` on Debian/Ubuntu, or `npx playwright install chromium`) or set CHROMIUM_PATH to a Chromium binary.";

export type BrowserLookup = { path: string; source: string } | { error: string };

export function findChromium(env: Record<string, string | undefined> = process.env): BrowserLookup {
  if (env.CHROMIUM_PATH) {
    return existsSync(env.CHROMIUM_PATH)
      ? { path: env.CHROMIUM_PATH, source: "CHROMIUM_PATH" }
      : { error: `CHROMIUM_PATH is set to ${env.CHROMIUM_PATH}, but no file is there.` };
  }
  if (existsSync("/usr/bin/chromium")) return { path: "/usr/bin/chromium", source: "Debian's chromium" };
  const bundled = chromium.executablePath();
  if (bundled && existsSync(bundled)) return { path: bundled, source: "Playwright's Chromium" };
  return { error: INSTALL_HINT };
}
