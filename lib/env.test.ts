import { describe, expect, it } from "vitest";

import { ConfigError, getBcryptCost, readSessionConfig } from "./env";

const SECRET = "s".repeat(32);
const DEV_SECRET = "d".repeat(43);
const PROD = { NODE_ENV: "production", SESSION_SECRET: SECRET };
const DEV = { NODE_ENV: "development", KEYCARD_DEV_SESSION_SECRET: DEV_SECRET };

/** The error a call throws, so one test can check both its class and its message. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("readSessionConfig: the secret", () => {
  it("refuses to start in production without SESSION_SECRET, naming the variable", () => {
    const error = thrownBy(() => readSessionConfig({ NODE_ENV: "production" }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/SESSION_SECRET/);
    expect(() => readSessionConfig({ NODE_ENV: "production", SESSION_SECRET: "" })).toThrow(ConfigError);
  });

  it("never uses the dev secret in production", () => {
    // WHY: .env.local (with the dev secret) may be present on a production box.
    expect(() => readSessionConfig({ NODE_ENV: "production", KEYCARD_DEV_SESSION_SECRET: DEV_SECRET })).toThrow(
      /SESSION_SECRET is not set/,
    );
    expect(readSessionConfig({ ...PROD, KEYCARD_DEV_SESSION_SECRET: DEV_SECRET }).secret).toBe(SECRET);
  });

  it("uses the dev secret in development, and SESSION_SECRET over it when both are set", () => {
    expect(readSessionConfig(DEV).secret).toBe(DEV_SECRET);
    expect(readSessionConfig({ ...DEV, SESSION_SECRET: SECRET }).secret).toBe(SECRET);
  });

  it("refuses to start in development without any secret, with a fix-it message", () => {
    expect(() => readSessionConfig({ NODE_ENV: "development" })).toThrow(ConfigError);
    expect(() => readSessionConfig({ NODE_ENV: "development" })).toThrow(/npm run dev|SESSION_SECRET/);
  });

  it("refuses a secret shorter than 32 characters (iron-session's minimum)", () => {
    expect(() => readSessionConfig({ ...PROD, SESSION_SECRET: "s".repeat(31) })).toThrow(ConfigError);
    expect(() => readSessionConfig({ ...PROD, SESSION_SECRET: "s".repeat(31) })).toThrow(/at least 32 characters/);
    expect(() => readSessionConfig({ ...DEV, KEYCARD_DEV_SESSION_SECRET: "short" })).toThrow(ConfigError);
    expect(readSessionConfig({ ...PROD, SESSION_SECRET: "s".repeat(32) }).secret).toHaveLength(32);
  });
});

describe("readSessionConfig: SESSION_TTL_SECONDS", () => {
  it("defaults to one week", () => {
    expect(readSessionConfig(PROD).ttlSeconds).toBe(604_800);
    expect(readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: "" }).ttlSeconds).toBe(604_800);
  });

  it("accepts an integer in range", () => {
    expect(readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: "3600" }).ttlSeconds).toBe(3600);
  });

  it.each(["abc", "0", "-60", "1.5", "299", "34560001", "Infinity", "NaN", " "])("refuses %j", (value) => {
    expect(() => readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: value })).toThrow(ConfigError);
    expect(() => readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: value })).toThrow(/SESSION_TTL_SECONDS/);
  });
});

describe("readSessionConfig: SESSION_COOKIE_SECURE", () => {
  it("defaults to Secure in production and not in development", () => {
    expect(readSessionConfig(PROD).secureCookie).toBe(true);
    expect(readSessionConfig(DEV).secureCookie).toBe(false);
  });

  it("can be switched either way", () => {
    expect(readSessionConfig({ ...PROD, SESSION_COOKIE_SECURE: "false" }).secureCookie).toBe(false);
    expect(readSessionConfig({ ...DEV, SESSION_COOKIE_SECURE: "true" }).secureCookie).toBe(true);
  });

  it("refuses anything but true/false", () => {
    expect(() => readSessionConfig({ ...PROD, SESSION_COOKIE_SECURE: "yes" })).toThrow(/SESSION_COOKIE_SECURE/);
  });
});

describe("getBcryptCost", () => {
  it("defaults to 12", () => {
    expect(getBcryptCost({})).toBe(12);
  });

  it("accepts 10 to 16", () => {
    expect(getBcryptCost({ BCRYPT_COST: "10" })).toBe(10);
    expect(getBcryptCost({ BCRYPT_COST: "16" })).toBe(16);
  });

  it.each(["9", "17", "10.5", "abc", "-12"])("refuses %j", (value) => {
    expect(() => getBcryptCost({ BCRYPT_COST: value })).toThrow(ConfigError);
    expect(() => getBcryptCost({ BCRYPT_COST: value })).toThrow(/BCRYPT_COST/);
  });

  it("reads process.env by default (the test config sets the minimum)", () => {
    expect(getBcryptCost()).toBe(10);
  });
});
