import path from "node:path";
import { describe, expect, it } from "vitest";

import { getDatabasePath } from "./database-path";

const PRODUCTION = path.resolve("data/keycard.db");
const DEVELOPMENT = path.resolve("data/keycard-dev.db");

describe("getDatabasePath", () => {
  // `npm run dev` then `npm start` in one folder used to share one file, and the
  // demo user signed in on the production server.
  it("gives development a file of its own", () => {
    expect(getDatabasePath({ NODE_ENV: "development" })).toBe(DEVELOPMENT);
    expect(getDatabasePath({ NODE_ENV: "production" })).toBe(PRODUCTION);
  });

  it("uses the production file wherever NODE_ENV is not development: the CLI and db:migrate leave it unset", () => {
    expect(getDatabasePath({})).toBe(PRODUCTION);
    expect(getDatabasePath({ NODE_ENV: "" })).toBe(PRODUCTION);
    expect(getDatabasePath({ NODE_ENV: "test" })).toBe(PRODUCTION);
  });

  it("takes DATABASE_URL over either default, relative to the working directory", () => {
    for (const NODE_ENV of ["development", "production", undefined]) {
      expect(getDatabasePath({ NODE_ENV, DATABASE_URL: "file:./elsewhere/app.db" })).toBe(path.resolve("elsewhere/app.db"));
      expect(getDatabasePath({ NODE_ENV, DATABASE_URL: "file:/srv/keycard.db?connection_limit=1" })).toBe("/srv/keycard.db");
    }
  });

  it("refuses a URL that names no SQLite file, saying what it expects", () => {
    expect(() => getDatabasePath({ DATABASE_URL: "postgres://db/keycard" })).toThrow(/DATABASE_URL must be a SQLite file URL like "file:\.\/data\/keycard\.db"/);
    expect(() => getDatabasePath({ DATABASE_URL: "file:" })).toThrow("Keycard: DATABASE_URL names no file.");
  });
});
