// Every error here is real: produced by better-sqlite3 or by Prisma (through the
// adapters the app uses) against real SQLite files that are missing, locked,
// read-only, not a database or not migrated.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import Database from "better-sqlite3";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { PrismaClient } from "../generated/prisma/client";
import { applyMigrations } from "../db/migrate";
import { ReopeningSqliteAdapter } from "../db/sqlite-adapter";
import { ThrottledError } from "../auth/throttle";
import { isDatabaseUnavailable, logDatabaseUnavailable, unavailabilityCode } from "../db/errors";
import { serviceUnavailableJson, serviceUnavailablePage } from "./service-unavailable";
import { errorFrom } from "../../test/errors";

const MIGRATIONS = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));
const directory = mkdtempSync(path.join(os.tmpdir(), "keycard-unavailable-"));
const clients: PrismaClient[] = [];
afterAll(async () => {
  for (const client of clients) await client.$disconnect();
  rmSync(directory, { recursive: true, force: true });
});

let files = 0;
/** A migrated database file of its own. */
function migratedFile(): string {
  const file = path.join(directory, `db-${files++}.db`);
  applyMigrations(file, MIGRATIONS);
  return file;
}

function garbageFile(): string {
  const file = path.join(directory, `garbage-${files++}.db`);
  writeFileSync(file, "this is not a SQLite database, whatever its name says");
  return file;
}

function emptyFile(): string {
  const file = path.join(directory, `empty-${files++}.db`);
  new Database(file).close();
  return file;
}

/** Another connection holding the write lock, as a stuck process would. */
function holdWriteLock(file: string): () => void {
  const holder = new Database(file);
  holder.exec("BEGIN EXCLUSIVE");
  holder.prepare('INSERT INTO "Throttle" (key, failures, updatedAt) VALUES (?, 1, ?)').run(`held-${files++}`, "2026-01-01");
  return () => {
    holder.exec("ROLLBACK");
    holder.close();
  };
}

/** Prisma over the adapter the app uses, or over Prisma's own with other options. */
function prismaOn(file: string, options: { timeout?: number; readonly?: boolean } = {}): PrismaClient {
  const adapter =
    Object.keys(options).length === 0
      ? new ReopeningSqliteAdapter(file)
      : new PrismaBetterSqlite3({ url: file, fileMustExist: true, ...options });
  const client = new PrismaClient({ adapter });
  clients.push(client);
  return client;
}

const writeUser = (client: PrismaClient) => client.user.create({ data: { username: `u-${files++}`, passwordHash: "x" } });
const asRoot = process.getuid?.() === 0;

describe("better-sqlite3 errors that mean unavailable", () => {
  it("a missing file", async () => {
    const error = await errorFrom(() => new Database(path.join(directory, "missing.db"), { fileMustExist: true }));
    expect(unavailabilityCode(error)).toBe("SQLITE_CANTOPEN");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a file that is not a database", async () => {
    const error = await errorFrom(() => new Database(garbageFile()).prepare("SELECT 1 FROM User").get());
    expect(unavailabilityCode(error)).toBe("SQLITE_NOTADB");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a write while another connection holds the lock past the busy timeout", async () => {
    const file = migratedFile();
    const release = holdWriteLock(file);
    try {
      const error = await errorFrom(() => new Database(file, { timeout: 50 }).prepare('DELETE FROM "Throttle"').run());
      expect(unavailabilityCode(error)).toBe("SQLITE_BUSY");
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      release();
    }
  });

  it("a write to a read-only connection", async () => {
    const error = await errorFrom(() => new Database(migratedFile(), { readonly: true }).prepare('DELETE FROM "Throttle"').run());
    expect(unavailabilityCode(error)).toBe("SQLITE_READONLY");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  // Root writes whatever the mode says, so only an unprivileged run sees this one
  // (e2e/faults.spec.ts runs its read-only server unprivileged either way).
  it.skipIf(asRoot)("a write to a file made read-only with chmod 444", async () => {
    const file = migratedFile();
    chmodSync(file, 0o444);
    const error = await errorFrom(() => new Database(file).prepare('DELETE FROM "Throttle"').run());
    expect(unavailabilityCode(error)).toMatch(/^SQLITE_READONLY/);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a database without Keycard's tables", async () => {
    const error = await errorFrom(() => new Database(emptyFile()).prepare('SELECT 1 FROM "User"').get());
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
});

describe("the same failures as Prisma reports them", () => {
  it("a missing file", async () => {
    const error = await errorFrom(() => prismaOn(path.join(directory, "missing.db")).user.findFirst());
    expect(error).toBeInstanceOf(Error);
    expect(unavailabilityCode(error)).toBe("SQLITE_CANTOPEN");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a file that is not a database", async () => {
    const error = await errorFrom(() => prismaOn(garbageFile()).user.findFirst());
    expect(unavailabilityCode(error)).toBe("SQLITE_NOTADB");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a write while another connection holds the lock past the busy timeout (P1008)", async () => {
    const file = migratedFile();
    const client = prismaOn(file, { timeout: 50 });
    await client.user.count();
    const release = holdWriteLock(file);
    try {
      const error = await errorFrom(() => writeUser(client));
      expect(error).toMatchObject({ code: "P1008" });
      expect(unavailabilityCode(error)).toBe("SQLITE_BUSY");
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      release();
    }
  });

  it("a write to a read-only connection", async () => {
    const error = await errorFrom(() => writeUser(prismaOn(migratedFile(), { readonly: true })));
    expect(unavailabilityCode(error)).toBe("SQLITE_READONLY");
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("a database without Keycard's tables (P2021)", async () => {
    const error = await errorFrom(() => prismaOn(emptyFile()).user.findFirst());
    expect(error).toMatchObject({ code: "P2021" });
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
});

describe("errors that are not about the database being unusable", () => {
  it("a unique violation, from SQLite and from Prisma", async () => {
    const file = migratedFile();
    const client = prismaOn(file);
    const { username } = await writeUser(client);
    const fromPrisma = await errorFrom(() => client.user.create({ data: { username, passwordHash: "x" } }));
    expect(fromPrisma).toMatchObject({ code: "P2002" });
    expect(isDatabaseUnavailable(fromPrisma)).toBe(false);
    const insert = new Database(file).prepare('INSERT INTO "User" (username, passwordHash, updatedAt) VALUES (?, ?, ?)');
    const fromSqlite = await errorFrom(() => insert.run(username, "x", "2026-01-01"));
    expect(isDatabaseUnavailable(fromSqlite)).toBe(false);
  });

  it("application errors and non-errors", () => {
    for (const error of [new ThrottledError(30), new Error("boom"), new TypeError("x is undefined"), null, undefined, "SQLITE_BUSY", 5]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
    // What next/navigation's redirect() throws: it must pass through untouched.
    expect(isDatabaseUnavailable(Object.assign(new Error("NEXT_REDIRECT"), { digest: "NEXT_REDIRECT;replace;/login;307;" }))).toBe(false);
  });

  it("follows a cause chain to the database error", async () => {
    const busy = await errorFrom(() => new Database(path.join(directory, "missing.db"), { fileMustExist: true }));
    const wrapped = new Error("sign-in failed", { cause: new Error("lookup failed", { cause: busy }) });
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(isDatabaseUnavailable(loop)).toBe(false);
  });
});

describe("the answers", () => {
  it("a page: 503, Retry-After, no-store, a short self-contained HTML page", async () => {
    const response = serviceUnavailablePage();
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain("<title>Service unavailable");
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html).toContain("Service unavailable, try again shortly.");
    expect(html).toMatch(/<a href="">Reload<\/a>/);
    // A strict CSP applies: nothing inline, nothing loaded.
    expect(html).not.toMatch(/<script|<style|style=|<link|<img|\bon[a-z]+=/i);
  });

  it("JSON for the API, with the same headers", async () => {
    const response = serviceUnavailableJson();
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: "Service unavailable, try again shortly" });
  });
});

describe("logDatabaseUnavailable", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("logs the code, not the error, once per code per 10 seconds", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const busy = { code: "SQLITE_BUSY", message: "database is locked", stack: "at secret (/app/x.js:1:1)" };
    logDatabaseUnavailable(busy, "POST /api/session", 1_000_000);
    logDatabaseUnavailable(busy, "POST /api/session", 1_005_000);
    logDatabaseUnavailable({ code: "SQLITE_CANTOPEN" }, "POST /api/session", 1_005_000);
    logDatabaseUnavailable(busy, "POST /api/session", 1_010_001);
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      "keycard: database unavailable (SQLITE_BUSY) in POST /api/session; answering 503",
      "keycard: database unavailable (SQLITE_CANTOPEN) in POST /api/session; answering 503",
      "keycard: database unavailable (SQLITE_BUSY) in POST /api/session; answering 503",
    ]);
  });
});
