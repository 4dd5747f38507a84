import path from "node:path";
import { describe, expect, it } from "vitest";

import {
  checkConfig,
  ConfigError,
  describeDatabase,
  getBcryptCost,
  getDatabaseConfig,
  getDatabasePath,
  getIpv6ThrottlePrefix,
  getTotpEncryptionKeys,
  getTrustedProxyCount,
  getWebAuthnConfig,
  isSignupOpen,
  readSessionConfig,
} from "./config";

const SECRET = "s".repeat(32);
const NEWER_SECRET = "n".repeat(40);
const DEV_SECRET = "d".repeat(43);
const PROD = { NODE_ENV: "production", SESSION_SECRET: SECRET };
const DEV = { NODE_ENV: "development", KEYCARD_DEV_SESSION_SECRET: DEV_SECRET };

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The error a call throws, so one test can check both its class and its message. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("readSessionConfig: the secrets", () => {
  it("refuses to start in production without SESSION_SECRET, naming the variable", () => {
    const error = thrownBy(() => readSessionConfig({ NODE_ENV: "production" }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/SESSION_SECRET/);
    expect(() => readSessionConfig({ NODE_ENV: "production", SESSION_SECRET: "" })).toThrow(ConfigError);
  });

  it("makes SESSION_SECRET secret number 1", () => {
    expect(readSessionConfig(PROD).secrets).toEqual({ 1: SECRET });
  });

  it("never uses the dev secret in production", () => {
    // WHY: .env.local (with the dev secret) may be present on a production box.
    expect(() => readSessionConfig({ NODE_ENV: "production", KEYCARD_DEV_SESSION_SECRET: DEV_SECRET })).toThrow(
      /SESSION_SECRET is not set/,
    );
    expect(readSessionConfig({ ...PROD, KEYCARD_DEV_SESSION_SECRET: DEV_SECRET }).secrets).toEqual({ 1: SECRET });
  });

  it("uses the dev secret as number 1 in development, and SESSION_SECRET over it when both are set", () => {
    expect(readSessionConfig(DEV).secrets).toEqual({ 1: DEV_SECRET });
    expect(readSessionConfig({ ...DEV, SESSION_SECRET: SECRET }).secrets).toEqual({ 1: SECRET });
    // Outside production (tests, previews) the dev secret counts too.
    expect(readSessionConfig({ KEYCARD_DEV_SESSION_SECRET: DEV_SECRET }).secrets).toEqual({ 1: DEV_SECRET });
  });

  it("refuses to start in development without any secret, with a fix-it message", () => {
    expect(() => readSessionConfig({ NODE_ENV: "development" })).toThrow(ConfigError);
    expect(() => readSessionConfig({ NODE_ENV: "development" })).toThrow(/npm run dev|SESSION_SECRET/);
  });

  it("refuses a secret shorter than 32 characters (iron-session's minimum), naming it", () => {
    expect(() => readSessionConfig({ ...PROD, SESSION_SECRET: "s".repeat(31) })).toThrow(ConfigError);
    expect(() => readSessionConfig({ ...PROD, SESSION_SECRET: "s".repeat(31) })).toThrow(
      /^Keycard: SESSION_SECRET must be at least 32 characters \(it has 31\)/,
    );
    expect(() => readSessionConfig({ ...DEV, KEYCARD_DEV_SESSION_SECRET: "short" })).toThrow(ConfigError);
    expect(() => readSessionConfig({ ...PROD, SESSION_SECRET_2: "n".repeat(31) })).toThrow(
      /^Keycard: SESSION_SECRET_2 must be at least 32 characters/,
    );
  });
});

describe("readSessionConfig: rotating the secret", () => {
  it("adds SESSION_SECRET_2, _3, … as newer secrets next to SESSION_SECRET", () => {
    expect(readSessionConfig({ ...PROD, SESSION_SECRET_2: NEWER_SECRET }).secrets).toEqual({ 1: SECRET, 2: NEWER_SECRET });
    expect(readSessionConfig({ ...PROD, SESSION_SECRET_2: NEWER_SECRET, SESSION_SECRET_3: DEV_SECRET }).secrets).toEqual({
      1: SECRET,
      2: NEWER_SECRET,
      3: DEV_SECRET,
    });
    expect(readSessionConfig({ ...DEV, SESSION_SECRET_2: NEWER_SECRET }).secrets).toEqual({ 1: DEV_SECRET, 2: NEWER_SECRET });
  });

  it("starts with only a newer secret once SESSION_SECRET is retired", () => {
    expect(readSessionConfig({ NODE_ENV: "production", SESSION_SECRET_2: NEWER_SECRET }).secrets).toEqual({ 2: NEWER_SECRET });
  });

  it("ignores an empty numbered secret", () => {
    expect(readSessionConfig({ ...PROD, SESSION_SECRET_2: "" }).secrets).toEqual({ 1: SECRET });
  });

  it("refuses SESSION_SECRET_1, saying SESSION_SECRET is number 1", () => {
    const error = thrownBy(() => readSessionConfig({ ...PROD, SESSION_SECRET_1: NEWER_SECRET }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe("Keycard: SESSION_SECRET_1 is not used: SESSION_SECRET is secret number 1.");
  });
});

describe("readSessionConfig: session lifetimes", () => {
  it("defaults to a week (3 days idle) with “Keep me signed in” and 12 hours (1 hour idle) without", () => {
    const expected = {
      persistent: { lifetimeSeconds: 7 * DAY, idleSeconds: 3 * DAY },
      browser: { lifetimeSeconds: 12 * HOUR, idleSeconds: HOUR },
    };
    expect(readSessionConfig(PROD)).toMatchObject(expected);
    const blank = { SESSION_TTL_SECONDS: "", SESSION_PERSISTENT_IDLE_SECONDS: "", SESSION_BROWSER_TTL_SECONDS: "", SESSION_IDLE_SECONDS: "" };
    expect(readSessionConfig({ ...PROD, ...blank })).toMatchObject(expected);
  });

  it("accepts each limit in range", () => {
    const config = readSessionConfig({
      ...PROD,
      SESSION_TTL_SECONDS: String(30 * DAY),
      SESSION_PERSISTENT_IDLE_SECONDS: String(30 * DAY),
      SESSION_BROWSER_TTL_SECONDS: String(DAY),
      SESSION_IDLE_SECONDS: String(5 * MINUTE),
    });
    expect(config.persistent).toEqual({ lifetimeSeconds: 30 * DAY, idleSeconds: 30 * DAY });
    expect(config.browser).toEqual({ lifetimeSeconds: DAY, idleSeconds: 5 * MINUTE });
  });

  it.each([
    ["SESSION_TTL_SECONDS", ["abc", "0", "-60", "1.5", "299", String(30 * DAY + 1), "Infinity", "NaN", " "]],
    ["SESSION_BROWSER_TTL_SECONDS", ["abc", "299", String(DAY + 1), "1e9"]],
    ["SESSION_IDLE_SECONDS", ["abc", "59", "0", "-1", "299"]],
    ["SESSION_PERSISTENT_IDLE_SECONDS", ["abc", "59", "0", "299"]],
  ])("refuses out-of-range or malformed %s, naming it", (name, values) => {
    for (const value of values) {
      expect(() => readSessionConfig({ ...PROD, [name]: value }), value).toThrow(ConfigError);
      expect(() => readSessionConfig({ ...PROD, [name]: value }), value).toThrow(new RegExp(`^Keycard: ${name} must be an integer`));
    }
  });

  it("refuses an idle timeout longer than its session's lifetime", () => {
    expect(() => readSessionConfig({ ...PROD, SESSION_BROWSER_TTL_SECONDS: "3600", SESSION_IDLE_SECONDS: "3601" })).toThrow(
      /SESSION_IDLE_SECONDS must be an integer from 300 to 3600/,
    );
    expect(() => readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: String(DAY), SESSION_PERSISTENT_IDLE_SECONDS: String(DAY + 1) })).toThrow(
      /SESSION_PERSISTENT_IDLE_SECONDS must be an integer from 300 to 86400/,
    );
    expect(readSessionConfig({ ...PROD, SESSION_BROWSER_TTL_SECONDS: "3600", SESSION_IDLE_SECONDS: "3600" }).browser).toEqual({
      lifetimeSeconds: 3600,
      idleSeconds: 3600,
    });
  });

  it("refuses an idle timeout under 5 minutes, as last-seen is written only once a minute", () => {
    for (const name of ["SESSION_IDLE_SECONDS", "SESSION_PERSISTENT_IDLE_SECONDS"]) {
      expect(() => readSessionConfig({ ...PROD, [name]: "299" })).toThrow(new RegExp(`^Keycard: ${name} must be an integer from 300 to`));
    }
    const config = readSessionConfig({ ...PROD, SESSION_IDLE_SECONDS: "300", SESSION_PERSISTENT_IDLE_SECONDS: "300" });
    expect([config.browser.idleSeconds, config.persistent.idleSeconds]).toEqual([300, 300]);
  });

  it("shortens a default idle timeout to its session's lifetime", () => {
    expect(readSessionConfig({ ...PROD, SESSION_BROWSER_TTL_SECONDS: "1800" }).browser).toEqual({ lifetimeSeconds: 1800, idleSeconds: 1800 });
    expect(readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: String(DAY) }).persistent).toEqual({ lifetimeSeconds: DAY, idleSeconds: DAY });
  });

  it("shortens the default browser lifetime to SESSION_TTL_SECONDS when that is under 12 hours", () => {
    expect(readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: String(HOUR) })).toMatchObject({
      persistent: { lifetimeSeconds: HOUR, idleSeconds: HOUR },
      browser: { lifetimeSeconds: HOUR, idleSeconds: HOUR },
    });
    expect(readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: String(DAY) }).browser.lifetimeSeconds).toBe(12 * HOUR);
  });

  it("refuses a browser lifetime longer than SESSION_TTL_SECONDS, naming both", () => {
    const error = thrownBy(() => readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: String(HOUR), SESSION_BROWSER_TTL_SECONDS: String(2 * HOUR) }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Keycard: SESSION_BROWSER_TTL_SECONDS \(7200\) must not exceed SESSION_TTL_SECONDS \(3600\)/);
    expect(readSessionConfig({ ...PROD, SESSION_TTL_SECONDS: String(HOUR), SESSION_BROWSER_TTL_SECONDS: String(HOUR) }).browser.lifetimeSeconds).toBe(HOUR);
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

describe("getIpv6ThrottlePrefix", () => {
  it("is a /64 by default and takes 48 to 64", () => {
    expect(getIpv6ThrottlePrefix({})).toBe(64);
    expect(getIpv6ThrottlePrefix({ THROTTLE_IPV6_PREFIX: "48" })).toBe(48);
    expect(getIpv6ThrottlePrefix({ THROTTLE_IPV6_PREFIX: "56" })).toBe(56);
  });

  it.each(["47", "65", "128", "/64", "x"])("refuses %j, naming the variable", (value) => {
    expect(() => getIpv6ThrottlePrefix({ THROTTLE_IPV6_PREFIX: value })).toThrow(/THROTTLE_IPV6_PREFIX must be an integer from 48 to 64/);
  });
});

describe("getTrustedProxyCount", () => {
  it("trusts no proxy by default", () => {
    expect(getTrustedProxyCount({})).toBe(0);
    expect(getTrustedProxyCount({ TRUST_PROXY: "" })).toBe(0);
  });

  it("accepts 0 to 10", () => {
    expect(getTrustedProxyCount({ TRUST_PROXY: "1" })).toBe(1);
    expect(getTrustedProxyCount({ TRUST_PROXY: "10" })).toBe(10);
  });

  it.each(["true", "-1", "11", "1.5", "yes"])("refuses %j, naming TRUST_PROXY", (value) => {
    expect(() => getTrustedProxyCount({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => getTrustedProxyCount({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY must be an integer from 0 to 10/);
  });
});

describe("isSignupOpen", () => {
  it("is open by default", () => {
    expect(isSignupOpen({})).toBe(true);
    expect(isSignupOpen({ SIGNUP: "" })).toBe(true);
    expect(isSignupOpen({ SIGNUP: "open" })).toBe(true);
  });

  it("is closed with SIGNUP=closed", () => {
    expect(isSignupOpen({ SIGNUP: "closed" })).toBe(false);
  });

  it.each(["false", "no", "Closed", "0"])("refuses %j rather than guess", (value) => {
    expect(() => isSignupOpen({ SIGNUP: value })).toThrow(ConfigError);
    expect(() => isSignupOpen({ SIGNUP: value })).toThrow(/SIGNUP must be "open" or "closed"/);
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

  it("refuses a URL that names no database it can use, saying what it expects", () => {
    expect(() => getDatabasePath({ DATABASE_URL: "mysql://db/keycard" })).toThrow(
      /DATABASE_URL must be a SQLite file URL like "file:\.\/data\/keycard\.db" or a PostgreSQL URL like "postgresql:\/\//,
    );
    expect(() => getDatabasePath({ DATABASE_URL: "file:" })).toThrow("Keycard: DATABASE_URL names no file.");
    // SQLite's own plumbing never runs on a PostgreSQL URL.
    expect(() => getDatabasePath({ DATABASE_URL: "postgres://db/keycard" })).toThrow("names a PostgreSQL database, not a SQLite file");
  });
});

describe("getDatabaseConfig", () => {
  it("takes a postgresql:// or postgres:// URL as PostgreSQL, with a bounded pool and statement time", () => {
    for (const url of ["postgresql://keycard:pw@db.internal:5432/keycard", "postgres://keycard@127.0.0.1/keycard?sslmode=require"]) {
      expect(getDatabaseConfig({ DATABASE_URL: url })).toEqual({ provider: "postgresql", url, poolSize: 10, statementTimeoutMs: 5000 });
    }
    expect(
      getDatabaseConfig({ DATABASE_URL: "postgresql://db/k", DATABASE_POOL_SIZE: "25", DATABASE_STATEMENT_TIMEOUT_MS: "2000" }),
    ).toMatchObject({ poolSize: 25, statementTimeoutMs: 2000 });
  });

  it("stops at a bad pool size or statement timeout, naming it", () => {
    const env = { DATABASE_URL: "postgresql://db/k" };
    expect(() => getDatabaseConfig({ ...env, DATABASE_POOL_SIZE: "0" })).toThrow(/DATABASE_POOL_SIZE must be an integer from 1 to 100/);
    expect(() => getDatabaseConfig({ ...env, DATABASE_STATEMENT_TIMEOUT_MS: "forever" })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS must be an integer from 100 to 60000/);
  });

  it("never repeats a password from DATABASE_URL in a message", () => {
    expect(describeDatabase({ DATABASE_URL: "postgresql://keycard:s3cret-pw@db.internal:5432/keycard" })).toBe(
      "postgresql://keycard:***@db.internal:5432/keycard",
    );
    expect(() => getDatabaseConfig({ DATABASE_URL: "mysql://keycard:s3cret-pw@db/keycard" })).toThrow(/mysql:\/\/keycard:\*\*\*@db\/keycard/);
    expect(() => getDatabaseConfig({ DATABASE_URL: "mysql://keycard:s3cret-pw@db/keycard" })).not.toThrow(/s3cret/);
  });
});

describe("checkConfig", () => {
  const PRODUCTION_ENV = { NODE_ENV: "production", SESSION_SECRET: "s".repeat(32) };

  it("passes a complete, valid production configuration", () => {
    expect(() => checkConfig(PRODUCTION_ENV)).not.toThrow();
  });

  // Each used to be noticed late (on the first sign-in) or never (a default quietly taken instead).
  it.each([
    ["BCRYPT_WORKERS", "many", /BCRYPT_WORKERS must be an integer from 1 to 16 \(got "many"\), e\.g\. BCRYPT_WORKERS=\d+\./],
    ["SIGNUP", "maybe", /SIGNUP must be "open" or "closed" \(got "maybe"\), e\.g\. SIGNUP=closed\./],
    ["BCRYPT_COST", "9", /BCRYPT_COST must be an integer from 10 to 16 \(got "9"\), e\.g\. BCRYPT_COST=12\./],
    ["PASSWORD_MIN_LENGTH", "4", /PASSWORD_MIN_LENGTH must be an integer from 8 to 64 \(got "4"\), e\.g\. PASSWORD_MIN_LENGTH=12\./],
    ["TRUST_PROXY", "yes", /TRUST_PROXY must be an integer from 0 to 10 \(got "yes"\), e\.g\. TRUST_PROXY=0\./],
    ["THROTTLE_IPV6_PREFIX", "32", /THROTTLE_IPV6_PREFIX must be an integer from 48 to 64 \(got "32"\), e\.g\. THROTTLE_IPV6_PREFIX=64\./],
    ["DATABASE_URL", "mysql://db", /DATABASE_URL must be a SQLite file URL like "file:\.\/data\/keycard\.db" or a PostgreSQL URL/],
    ["SESSION_COOKIE_SECURE", "yes", /SESSION_COOKIE_SECURE must be "true" or "false" \(got "yes"\), e\.g\. SESSION_COOKIE_SECURE=true\./],
  ])("stops at a bad %s, naming it and a valid example", (name, value, message) => {
    expect(() => checkConfig({ ...PRODUCTION_ENV, [name]: value })).toThrow(ConfigError);
    expect(() => checkConfig({ ...PRODUCTION_ENV, [name]: value })).toThrow(message);
  });

  it("stops at a WEBAUTHN_RP_ID the origin does not belong to", () => {
    expect(() => checkConfig({ ...PRODUCTION_ENV, WEBAUTHN_RP_ID: "evil.com", WEBAUTHN_ORIGIN: "https://login.example.com" })).toThrow(ConfigError);
  });
});

describe("getTotpEncryptionKeys", () => {
  it("numbers the keys as the session secrets are, and holds each to 32 characters", () => {
    expect(getTotpEncryptionKeys({ NODE_ENV: "production" })).toEqual({});
    expect(getTotpEncryptionKeys({ NODE_ENV: "production", TOTP_ENCRYPTION_KEY: SECRET, TOTP_ENCRYPTION_KEY_3: NEWER_SECRET })).toEqual({
      1: SECRET,
      3: NEWER_SECRET,
    });
    expect(() => getTotpEncryptionKeys({ TOTP_ENCRYPTION_KEY: "short" })).toThrow(/TOTP_ENCRYPTION_KEY must be at least 32 characters/);
    expect(() => getTotpEncryptionKeys({ TOTP_ENCRYPTION_KEY_1: SECRET })).toThrow(/TOTP_ENCRYPTION_KEY_1 is not used/);
  });

  it("uses the development key only outside production", () => {
    expect(getTotpEncryptionKeys({ NODE_ENV: "development", KEYCARD_DEV_TOTP_ENCRYPTION_KEY: DEV_SECRET })).toEqual({ 1: DEV_SECRET });
    expect(getTotpEncryptionKeys({ NODE_ENV: "production", KEYCARD_DEV_TOTP_ENCRYPTION_KEY: DEV_SECRET })).toEqual({});
  });
});

describe("getWebAuthnConfig", () => {
  const PRODUCTION = { NODE_ENV: "production" };
  const webAuthn = (rpId: string, origin: string) => getWebAuthnConfig({ ...PRODUCTION, WEBAUTHN_RP_ID: rpId, WEBAUTHN_ORIGIN: origin });

  it("defaults to localhost and http://localhost:3000 outside production", () => {
    expect(getWebAuthnConfig({ NODE_ENV: "development" })).toEqual({ rpId: "localhost", origin: "http://localhost:3000" });
    expect(getWebAuthnConfig({})).toEqual({ rpId: "localhost", origin: "http://localhost:3000" });
  });

  it("offers no passkeys in production with neither set", () => {
    expect(getWebAuthnConfig(PRODUCTION)).toBeNull();
  });

  it("takes an RP ID that is the origin's host, or a domain above it", () => {
    expect(webAuthn("example.com", "https://example.com")).toEqual({ rpId: "example.com", origin: "https://example.com" });
    expect(webAuthn("example.com", "https://login.example.com")).toEqual({ rpId: "example.com", origin: "https://login.example.com" });
    expect(webAuthn("login.example.com", "https://login.example.com:8443")).toEqual({ rpId: "login.example.com", origin: "https://login.example.com:8443" });
  });

  it("refuses one without the other in production, naming both", () => {
    expect(() => getWebAuthnConfig({ ...PRODUCTION, WEBAUTHN_RP_ID: "example.com" })).toThrow(ConfigError);
    expect(() => getWebAuthnConfig({ ...PRODUCTION, WEBAUTHN_RP_ID: "example.com" })).toThrow(/set WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN together/);
    expect(() => getWebAuthnConfig({ ...PRODUCTION, WEBAUTHN_ORIGIN: "https://example.com" })).toThrow(/set WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN together/);
  });

  it("refuses an origin that is more or less than scheme, host and port", () => {
    const error = thrownBy(() => webAuthn("example.com", "https://login.example.com/app"));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/WEBAUTHN_ORIGIN must be an origin.*\(got "https:\/\/login\.example\.com\/app"\)/);
    expect(() => webAuthn("example.com", "login.example.com")).toThrow(/WEBAUTHN_ORIGIN must be an origin/);
  });

  it("refuses an RP ID the origin's host does not belong to, a mere suffix of its name included", () => {
    for (const rpId of ["evil.com", "ample.com", "other.login.example.com"]) {
      const error = thrownBy(() => webAuthn(rpId, "https://login.example.com"));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`WEBAUTHN_RP_ID (${rpId}) must be WEBAUTHN_ORIGIN's host (login.example.com)`);
    }
  });
});
