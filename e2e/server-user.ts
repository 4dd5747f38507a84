// The user "nobody", for a server whose file permissions must mean something:
// root writes to a file whatever its mode. Such a server cannot run from the
// checkout itself when the checkout sits under a folder only root can enter (a
// clone in /root or in a `mktemp -d`, mode 0700); it then runs from a copy of
// its own, made of hard links (no disk space, no copying of contents).
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, linkSync, type Dirent, mkdirSync, mkdtempSync, readdirSync, readlinkSync, statSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const NOBODY = 65534;
export const asRoot = process.getuid?.() === 0;

/** What no server reads, or what tests write into while the copy is made. */
const NOT_COPIED = new Set([".git", "test-results", "reports"]);

/** Files "nobody" must be able to read for `npm start` to come up, the build included. */
const READ_BY_SERVER = ["package.json", ".next/BUILD_ID", "node_modules/next/package.json"];

let readsCheckout: boolean | undefined;

/** Whether "nobody" can read the checkout where it is, by its full path (it only needs a copy when not). */
export function serverUserReadsCheckout(): boolean {
  readsCheckout ??=
    spawnSync(process.execPath, ["-e", "require('node:fs').accessSync(process.argv[1])", path.resolve("package.json")], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: "/",
    }).status === 0;
  return readsCheckout;
}

/**
 * Why no server can run as "nobody" here, or null when one can: when it cannot
 * read the checkout in place, its copy is made of hard links, which needs the
 * temporary folder on the checkout's filesystem and files that others may read.
 */
export function whyNoUnprivilegedServer(): string | null {
  if (!asRoot || serverUserReadsCheckout()) return null;
  const checkout = process.cwd();
  const tmp = os.tmpdir();
  if (statSync(checkout).dev !== statSync(tmp).dev) {
    return `as root the server runs as "nobody" from a hard-linked copy of the checkout, and ${tmp} is on another filesystem than ${checkout}; set TMPDIR to a folder on the checkout's filesystem that every user can enter (such as /var/tmp)`;
  }
  for (const file of READ_BY_SERVER) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      return `${file} is missing: build first (npx next build)`;
    }
    if ((mode & 0o004) === 0) return `as root the server runs as "nobody", which may not read ${path.resolve(file)} (mode ${(mode & 0o777).toString(8)}); clone with umask 022`;
  }
  return null;
}

/** Gives the folder and what it holds to the user an unprivileged server runs as. */
export function handToServerUser(directory: string): void {
  if (!asRoot) return;
  chownSync(directory, NOBODY, NOBODY);
  for (const name of readdirSync(directory)) chownSync(path.join(directory, name), NOBODY, NOBODY);
}

/** A copy of the checkout, in a new folder inside `folder`, that "nobody" can enter and read. */
export function copyCheckoutForServerUser(folder: string): string {
  const copy = mkdtempSync(path.join(folder, "checkout-"));
  chmodSync(copy, 0o755);
  for (const entry of readdirSync(process.cwd(), { withFileTypes: true })) {
    if (!NOT_COPIED.has(entry.name)) linkTree(path.resolve(entry.name), path.join(copy, entry.name), entry);
  }
  return copy;
}

/** `source` at `target`: folders made anew (open to all), files hard-linked, symbolic links as they are. */
function linkTree(source: string, target: string, kind: Dirent): void {
  // Relative link targets stay right in the copy (Turbopack's under .next/node_modules are relative).
  if (kind.isSymbolicLink()) return symlinkSync(readlinkSync(source), target);
  if (!kind.isDirectory()) return linkSync(source, target);
  mkdirSync(target);
  chmodSync(target, 0o755);
  for (const entry of readdirSync(source, { withFileTypes: true })) linkTree(path.join(source, entry.name), path.join(target, entry.name), entry);
}
