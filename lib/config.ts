// Every setting Keycard reads from the environment, read and checked here and
// nowhere else. checkConfig() runs at start-up (npm start's prestart and the
// server's boot), so a bad value stops the process with a message naming the variable
// and a valid example, instead of failing on the first request that needs it.
import { availableParallelism } from "node:os";
import path from "node:path";

type Env = Record<string, string | undefined>;

const MIN_SECRET_LENGTH = 32;
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DEFAULT_BCRYPT_COST = 12;
const MIN_BCRYPT_COST = 10;
const MAX_BCRYPT_COST = 16;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type SessionConfig = {
  /** iron-session's password map: the highest number seals, every one unseals. */
  secrets: Record<string, string>;
  secureCookie: boolean;
  /** "Keep me signed in" sessions: absolute lifetime and idle timeout. */
  persistent: SessionLimits;
  /** Sessions that end with the browser: absolute lifetime and idle timeout. */
  browser: SessionLimits;
};

export type SessionLimits = { lifetimeSeconds: number; idleSeconds: number };

let sessionConfig: SessionConfig | undefined;

export function getSessionConfig(): SessionConfig {
  sessionConfig ??= readSessionConfig(process.env);
  return sessionConfig;
}

export function readSessionConfig(env: Env): SessionConfig {
  const production = env.NODE_ENV === "production";
  // Defaults follow NIST SP 800-63B-4 (§2.2.3, AAL2: re-authenticate after 24 h
  // at most and after 1 h of inactivity; AAL1: after 30 days) and OWASP ASVS 5
  // V7.3 (server-side idle and absolute timeouts). A browser session is held to
  // AAL2's limits; "Keep me signed in" trades them for a week, still inside AAL1's.
  const persistentLifetime = readInteger(env, "SESSION_TTL_SECONDS", 7 * DAY, 5 * MINUTE, 30 * DAY);
  const browserLifetime = readInteger(env, "SESSION_BROWSER_TTL_SECONDS", Math.min(12 * HOUR, persistentLifetime), 5 * MINUTE, DAY);
  if (browserLifetime > persistentLifetime) {
    throw new ConfigError(
      `Keycard: SESSION_BROWSER_TTL_SECONDS (${browserLifetime}) must not exceed SESSION_TTL_SECONDS (${persistentLifetime}): a browser session never outlives a "Keep me signed in" one.`,
    );
  }
  return {
    secrets: readSessionSecrets(env, production),
    secureCookie: readBoolean(env, "SESSION_COOKIE_SECURE", production),
    persistent: {
      lifetimeSeconds: persistentLifetime,
      idleSeconds: readIdle(env, "SESSION_PERSISTENT_IDLE_SECONDS", 3 * DAY, persistentLifetime),
    },
    browser: {
      lifetimeSeconds: browserLifetime,
      idleSeconds: readIdle(env, "SESSION_IDLE_SECONDS", HOUR, browserLifetime),
    },
  };
}

/**
 * An idle timeout: at least 5 minutes, because "last seen" is written only once a
 * minute (lib/session/store.ts), and never longer than the lifetime it belongs to.
 */
function readIdle(env: Env, name: string, fallback: number, lifetime: number): number {
  return readInteger(env, name, Math.min(fallback, lifetime), 5 * MINUTE, lifetime);
}

/**
 * SESSION_SECRET is secret number 1; SESSION_SECRET_2, SESSION_SECRET_3, … are
 * newer ones. The newest seals new cookies and all of them unseal, so a secret
 * can be rotated without signing anyone out (docs/security.md, "Rotating the secret").
 */
function readSessionSecrets(env: Env, production: boolean): Record<string, string> {
  // The dev secret lives under its own name in .env.local (written by `npm run dev`),
  // so a production server that happens to find that file still refuses to start.
  const secrets = readNumberedSecrets(env, "SESSION_SECRET", production ? undefined : "KEYCARD_DEV_SESSION_SECRET");
  if (Object.keys(secrets).length === 0) {
    throw new ConfigError(
      production
        ? "Keycard: SESSION_SECRET is not set. Generate one with `openssl rand -base64 32` and set it in the environment."
        : "Keycard: no session secret. Run `npm run dev` (it writes one to .env.local) or set SESSION_SECRET.",
    );
  }
  return secrets;
}

/**
 * The keys that encrypt authenticator-app secrets at rest (lib/auth/totp-secret.ts),
 * numbered and rotated as the session secrets are: TOTP_ENCRYPTION_KEY is key 1,
 * TOTP_ENCRYPTION_KEY_2, … newer ones; the newest encrypts, every one decrypts.
 * None set: no one can turn two-factor authentication on. Development uses
 * KEYCARD_DEV_TOTP_ENCRYPTION_KEY from .env.local, never read in production.
 */
export function getTotpEncryptionKeys(env: Env = process.env): Record<string, string> {
  const production = env.NODE_ENV === "production";
  return readNumberedSecrets(env, "TOTP_ENCRYPTION_KEY", production ? undefined : "KEYCARD_DEV_TOTP_ENCRYPTION_KEY");
}

/** `NAME` as number 1 (or `devName` where it is unset), `NAME_2`, `NAME_3`, … by number; each 32+ characters. */
function readNumberedSecrets(env: Env, name: string, devName: string | undefined): Record<string, string> {
  const secrets: Record<string, string> = {};
  const first = env[name] || (devName ? env[devName] : undefined);
  if (first) secrets["1"] = checkSecret(name, first);
  const numbered = new RegExp(`^${name}_([1-9][0-9]{0,3})$`);
  for (const [variable, value] of Object.entries(env)) {
    const match = numbered.exec(variable);
    if (!match?.[1] || !value) continue;
    if (match[1] === "1") throw new ConfigError(`Keycard: ${name}_1 is not used: ${name} is secret number 1.`);
    secrets[match[1]] = checkSecret(variable, value);
  }
  return secrets;
}

function checkSecret(name: string, secret: string): string {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `Keycard: ${name} must be at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length}). Generate one with \`openssl rand -base64 32\`.`,
    );
  }
  return secret;
}

export type WebAuthnConfig = { rpId: string; origin: string };

/**
 * Where passkeys are bound (WEBAUTHN_RP_ID, WEBAUTHN_ORIGIN): the site's domain
 * and the origin its pages are served from, as browsers see them behind any
 * proxy. A passkey made for one RP ID works on no other. Outside production
 * they default to localhost and http://localhost:3000 (`npm run dev`); in
 * production, unset, passkeys are not offered: a wrong guess at the public
 * name would make passkeys that stop working once it is set right.
 */
export function getWebAuthnConfig(env: Env = process.env): WebAuthnConfig | null {
  const production = env.NODE_ENV === "production";
  const rpId = env.WEBAUTHN_RP_ID || (production ? "" : "localhost");
  const origin = env.WEBAUTHN_ORIGIN || (production ? "" : "http://localhost:3000");
  if (!rpId && !origin) return null;
  const example = "e.g. WEBAUTHN_RP_ID=example.com and WEBAUTHN_ORIGIN=https://login.example.com";
  if (!rpId || !origin) throw new ConfigError(`Keycard: set WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN together, ${example}.`);
  if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
    throw new ConfigError(`Keycard: WEBAUTHN_ORIGIN must be an origin, scheme and host (and port) only, ${example} (got "${origin}").`);
  }
  const { hostname } = new URL(origin);
  // WebAuthn's own rule: the RP ID is the origin's host or a domain it belongs to.
  if (hostname !== rpId && !hostname.endsWith(`.${rpId}`)) {
    throw new ConfigError(`Keycard: WEBAUTHN_RP_ID (${rpId}) must be WEBAUTHN_ORIGIN's host (${hostname}) or a domain above it, ${example}.`);
  }
  return { rpId, origin };
}

/** How many reverse proxies in front append to X-Forwarded-For (TRUST_PROXY); 0 trusts none. */
export function getTrustedProxyCount(env: Env = process.env): number {
  return readInteger(env, "TRUST_PROXY", 0, 0, 10);
}

/**
 * How much of an IPv6 address throttling counts as one client
 * (THROTTLE_IPV6_PREFIX): a /64 by default, the block one home connection
 * usually gets; /48 where providers hand out whole /48s.
 */
export function getIpv6ThrottlePrefix(env: Env = process.env): number {
  return readInteger(env, "THROTTLE_IPV6_PREFIX", 64, 48, 64);
}

/** SIGNUP=closed turns self-service sign-up off; operators still add users with the CLI. */
export function isSignupOpen(env: Env = process.env): boolean {
  const raw = env.SIGNUP ?? "open";
  if (raw === "open" || raw === "") return true;
  if (raw === "closed") return false;
  throw new ConfigError(`Keycard: SIGNUP must be "open" or "closed" (got "${raw}"), e.g. SIGNUP=closed.`);
}

export function getBcryptCost(env: Env = process.env): number {
  return readInteger(env, "BCRYPT_COST", DEFAULT_BCRYPT_COST, MIN_BCRYPT_COST, MAX_BCRYPT_COST);
}

const DEFAULT_MIN_PASSWORD_LENGTH = 12;

/** The shortest password accepted anywhere a password is set (PASSWORD_MIN_LENGTH). */
export function getMinPasswordLength(env: Env = process.env): number {
  return readInteger(env, "PASSWORD_MIN_LENGTH", DEFAULT_MIN_PASSWORD_LENGTH, 8, 64);
}

/** Threads that hash and check passwords (BCRYPT_WORKERS): one per core by default, at most 16. */
export function getBcryptWorkers(env: Env = process.env): number {
  return readInteger(env, "BCRYPT_WORKERS", Math.min(availableParallelism(), 16), 1, 16);
}

const PRODUCTION_DATABASE_URL = "file:./data/keycard.db";
const DEVELOPMENT_DATABASE_URL = "file:./data/keycard-dev.db";

export type DatabaseConfig =
  | { provider: "sqlite"; path: string }
  | { provider: "postgresql"; url: string; poolSize: number; statementTimeoutMs: number };

/**
 * The database DATABASE_URL names, and nothing else chooses it: a `file:` URL
 * (as Prisma writes it) is a SQLite file, resolved against the working
 * directory, which is the project root for every npm script; a `postgresql://`
 * or `postgres://` URL is a PostgreSQL database, with a pool of
 * DATABASE_POOL_SIZE connections per process and DATABASE_STATEMENT_TIMEOUT_MS
 * for any one statement. Unset, it is the SQLite default for NODE_ENV:
 * development (`next dev`, and `npm run dev`'s predev, which sets NODE_ENV as
 * next dev does) has a file of its own, so the demo user it creates never lands
 * in the production server's file; everything else (`next start`, server.js,
 * the CLI and db:migrate, which operators run against production) uses the
 * production file.
 */
export function getDatabaseConfig(env: Env = process.env): DatabaseConfig {
  const url = env.DATABASE_URL || (env.NODE_ENV === "development" ? DEVELOPMENT_DATABASE_URL : PRODUCTION_DATABASE_URL);
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (!URL.canParse(url)) throw new ConfigError("Keycard: DATABASE_URL is not a valid URL, e.g. DATABASE_URL=postgresql://keycard:PASSWORD@db.internal:5432/keycard.");
    return {
      provider: "postgresql",
      url,
      poolSize: readInteger(env, "DATABASE_POOL_SIZE", 10, 1, 100),
      statementTimeoutMs: readInteger(env, "DATABASE_STATEMENT_TIMEOUT_MS", 5000, 100, 60_000),
    };
  }
  if (!url.startsWith("file:")) {
    throw new ConfigError(
      `Keycard: DATABASE_URL must be a SQLite file URL like "${PRODUCTION_DATABASE_URL}" or a PostgreSQL URL like "postgresql://keycard:PASSWORD@db.internal:5432/keycard" (got "${redactPassword(url)}").`,
    );
  }
  const file = url.slice("file:".length).split("?")[0] ?? "";
  if (file === "") throw new ConfigError(`Keycard: DATABASE_URL names no file. Name one, e.g. DATABASE_URL=${PRODUCTION_DATABASE_URL}.`);
  // The path comes from configuration, not code: keep it out of build-time file tracing.
  return { provider: "sqlite", path: path.resolve(/*turbopackIgnore: true*/ file) };
}

/** The SQLite file DATABASE_URL names; only for SQLite's own plumbing, which never runs on PostgreSQL. */
export function getDatabasePath(env: Env = process.env): string {
  const config = getDatabaseConfig(env);
  if (config.provider !== "sqlite") throw new ConfigError("Keycard: DATABASE_URL names a PostgreSQL database, not a SQLite file.");
  return config.path;
}

/** The database for messages and logs: the file, or the URL without its password. */
export function describeDatabase(env: Env = process.env): string {
  const config = getDatabaseConfig(env);
  return config.provider === "sqlite" ? config.path : redactPassword(config.url);
}

function redactPassword(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^@/]*@/, "//***@");
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/**
 * Reads every setting once, so that the first bad one throws ConfigError now.
 * `env.NODE_ENV` decides which defaults and rules apply (production's).
 */
export function checkConfig(env: Env = process.env): void {
  readSessionConfig(env);
  getDatabaseConfig(env);
  getTrustedProxyCount(env);
  getIpv6ThrottlePrefix(env);
  isSignupOpen(env);
  getBcryptCost(env);
  getBcryptWorkers(env);
  getMinPasswordLength(env);
  getTotpEncryptionKeys(env);
  getWebAuthnConfig(env);
}

function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Keycard: ${name} must be an integer from ${min} to ${max} (got "${raw}"), e.g. ${name}=${fallback}.`);
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`Keycard: ${name} must be "true" or "false" (got "${raw}"), e.g. ${name}=${String(fallback)}.`);
}
