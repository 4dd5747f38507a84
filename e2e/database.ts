// The database of a server under test, as the tests reach it: straight, and
// synchronously (fixtures are plain functions called between requests). SQLite
// through better-sqlite3; PostgreSQL through psql, which each call runs once,
// with the values passed as psql variables and quoted by psql itself.
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";

export type TestDatabase = { provider: "sqlite"; path: string } | { provider: "postgresql"; url: string };

export type SqlValue = string | number | null;

/** DATABASE_URL for a server or the CLI on `database`. */
export function databaseUrl(database: TestDatabase): string {
  return database.provider === "sqlite" ? `file:${database.path}` : database.url;
}

/** The file of a SQLite database; for tests that break the file itself. */
export function sqliteFile(database: TestDatabase): string {
  if (database.provider !== "sqlite") throw new Error("This test needs a SQLite database file, not PostgreSQL.");
  return database.path;
}

/**
 * The rows a SELECT returns (`?` placeholders), as SQLite stores them: on
 * PostgreSQL, timestamps become ISO-8601 UTC text, as Prisma's SQLite adapter
 * writes them (booleans stay booleans; SQLite's are 0 and 1).
 */
export function queryRows<Row = Record<string, unknown>>(database: TestDatabase, sql: string, values: readonly SqlValue[] = []): Row[] {
  if (database.provider === "sqlite") return withSqlite(database.path, (db) => db.prepare(sql).all(...values) as Row[]);
  const json = psql(database.url, `SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`, values);
  return JSON.parse(json, (_key, value: unknown) => (typeof value === "string" && POSTGRES_TIMESTAMP.test(value) ? new Date(`${value}Z`).toISOString() : value)) as Row[];
}

/** Runs an INSERT, UPDATE or DELETE (`?` placeholders); returns how many rows it changed. */
export function execute(database: TestDatabase, sql: string, values: readonly SqlValue[] = []): number {
  if (database.provider === "sqlite") return withSqlite(database.path, (db) => db.prepare(sql).run(...values).changes);
  return Number(psql(database.url, `WITH changed AS (${sql} RETURNING 1) SELECT count(*) FROM changed`, values));
}

/** How json_agg writes a timestamp without time zone (Prisma's DateTime, in UTC). */
const POSTGRES_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;

function withSqlite<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 5000");
    return work(db);
  } finally {
    db.close();
  }
}

/** Runs one statement through psql; its output, unaligned and without headers. */
function psql(url: string, sql: string, values: readonly SqlValue[]): string {
  const variables: string[] = [];
  let count = 0;
  // psql substitutes :'pN' as a quoted literal, whatever the value holds.
  const text = sql.replace(/\?/g, () => {
    const value = values[count++];
    if (value === undefined) throw new Error(`More placeholders than values in: ${sql}`);
    if (value === null) return "NULL";
    variables.push("-v", `p${count}=${value}`);
    return `:'p${count}'`;
  });
  if (count !== values.length) throw new Error(`${values.length} values for ${count} placeholders in: ${sql}`);
  const result = spawnSync("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", ...variables, "-d", url], {
    input: text,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`psql failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

/** A new, empty database on the cluster whose URL is `clusterUrl`, named `name` (letters, digits, _) or by chance. */
export function createPostgresDatabase(clusterUrl: string, name = `keycard_e2e_${randomBytes(6).toString("hex")}`): TestDatabase & { provider: "postgresql" } {
  if (!/^\w+$/.test(name)) throw new Error(`Not a plain database name: ${name}`);
  psql(clusterUrl, `CREATE DATABASE ${name}`, []);
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return { provider: "postgresql", url: url.toString() };
}

/** Removes a database: its file (and journals) or, on PostgreSQL, the database, connections or not. */
export function removeDatabase(database: TestDatabase): void {
  if (database.provider === "sqlite") {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(database.path + suffix, { force: true });
    return;
  }
  const url = new URL(database.url);
  const name = url.pathname.slice(1);
  if (!/^\w+$/.test(name)) throw new Error(`Not a database this test made: ${name}`);
  url.pathname = "/postgres";
  psql(url.toString(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, []);
}
