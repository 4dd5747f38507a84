// Shared test helpers: a fresh user per test, written straight into the
// throwaway database the server under test uses (playwright.config.ts).
import { test as base, expect } from "@playwright/test";
import bcrypt from "bcryptjs";
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";

export type TestUser = { username: string; password: string };

export function databasePath(): string {
  const file = process.env.E2E_DATABASE_PATH;
  if (!file) throw new Error("E2E_DATABASE_PATH is not set: run the tests through playwright.config.ts.");
  return file;
}

export function createUser(prefix = "user"): TestUser {
  const username = `${prefix}-${randomBytes(5).toString("hex")}`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const db = new Database(databasePath());
  try {
    db.pragma("busy_timeout = 5000");
    db.prepare('INSERT INTO "User" (username, passwordHash, updatedAt) VALUES (?, ?, ?)').run(
      username,
      bcrypt.hashSync(password, 10),
      new Date().toISOString(),
    );
  } finally {
    db.close();
  }
  return { username, password };
}

export const test = base.extend<{ user: TestUser }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  user: async ({}, use) => {
    await use(createUser());
  },
});

export { expect };
