// Which Chromium the end-to-end tests drive: CHROMIUM_PATH, else Debian's
// headless shell, else Debian's full Chromium, else the browsers
// `npx playwright install chromium` downloads (Playwright picks its own).
//
// The headless shell first, as Playwright itself does for headless runs: the
// full browser in headless mode costs about 1.7× the CPU for the same specs
// (docs/testing.md), and the suite is bound by CPU on a small machine.
import { existsSync } from "node:fs";
import { chromium } from "playwright";

export const INSTALL_HINT =
  "No Chromium found for the end-to-end tests: install one (`sudo apt-get install chromium-headless-shell` or `chromium` on Debian/Ubuntu, or `npx playwright install chromium`) or set CHROMIUM_PATH to a Chromium binary.";

/** `path` undefined: Playwright's own download, which Playwright finds itself. */
export type BrowserLookup = { path: string | undefined; source: string } | { error: string };

const DEBIAN = [
  { path: "/usr/bin/chromium-headless-shell", source: "Debian's chromium-headless-shell" },
  { path: "/usr/bin/chromium", source: "Debian's chromium" },
];

export function findChromium(env: Record<string, string | undefined> = process.env): BrowserLookup {
  if (env.CHROMIUM_PATH) {
    return existsSync(env.CHROMIUM_PATH)
      ? { path: env.CHROMIUM_PATH, source: "CHROMIUM_PATH" }
      : { error: `CHROMIUM_PATH is set to ${env.CHROMIUM_PATH}, but no file is there.` };
  }
  const debian = DEBIAN.find(({ path }) => existsSync(path));
  if (debian) return debian;
  const bundled = chromium.executablePath();
  if (bundled && existsSync(bundled)) return { path: undefined, source: "Playwright's Chromium" };
  return { error: INSTALL_HINT };
}
