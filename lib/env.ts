// Reads and checks Keycard's configuration once, failing fast with a message that
// names the variable and the fix. Edge-safe (middleware imports it): no Node APIs.

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

export function readSessionConfig(env: Record<string, string | undefined>): SessionConfig {
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
 * minute (lib/session.ts), and never longer than the lifetime it belongs to.
 */
function readIdle(env: Record<string, string | undefined>, name: string, fallback: number, lifetime: number): number {
  return readInteger(env, name, Math.min(fallback, lifetime), 5 * MINUTE, lifetime);
}

/**
 * SESSION_SECRET is secret number 1; SESSION_SECRET_2, SESSION_SECRET_3, … are
 * newer ones. The newest seals new cookies and all of them unseal, so a secret
 * can be rotated without signing anyone out (README: "Rotating the secret").
 */
function readSessionSecrets(env: Record<string, string | undefined>, production: boolean): Record<string, string> {
  const secrets: Record<string, string> = {};
  // The dev secret lives under its own name in .env.local (written by `npm run dev`),
  // so a production server that happens to find that file still refuses to start.
  const first = env.SESSION_SECRET || (production ? undefined : env.KEYCARD_DEV_SESSION_SECRET);
  if (first) secrets["1"] = checkSecret("SESSION_SECRET", first);
  for (const [name, value] of Object.entries(env)) {
    const match = /^SESSION_SECRET_([1-9][0-9]{0,3})$/.exec(name);
    if (!match?.[1] || !value) continue;
    if (match[1] === "1") throw new ConfigError("Keycard: SESSION_SECRET_1 is not used: SESSION_SECRET is secret number 1.");
    secrets[match[1]] = checkSecret(name, value);
  }
  if (Object.keys(secrets).length === 0) {
    throw new ConfigError(
      production
        ? "Keycard: SESSION_SECRET is not set. Generate one with `openssl rand -base64 32` and set it in the environment."
        : "Keycard: no session secret. Run `npm run dev` (it writes one to .env.local) or set SESSION_SECRET.",
    );
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

/** How many reverse proxies in front append to X-Forwarded-For (TRUST_PROXY); 0 trusts none. */
export function getTrustedProxyCount(env: Record<string, string | undefined> = process.env): number {
  return readInteger(env, "TRUST_PROXY", 0, 0, 10);
}

/**
 * How much of an IPv6 address throttling counts as one client
 * (THROTTLE_IPV6_PREFIX): a /64 by default, the block one home connection
 * usually gets; /48 where providers hand out whole /48s.
 */
export function getIpv6ThrottlePrefix(env: Record<string, string | undefined> = process.env): number {
  return readInteger(env, "THROTTLE_IPV6_PREFIX", 64, 48, 64);
}

/** SIGNUP=closed turns self-service sign-up off; operators still add users with the CLI. */
export function isSignupOpen(env: Record<string, string | undefined> = process.env): boolean {
  const raw = env.SIGNUP ?? "open";
  if (raw === "open" || raw === "") return true;
  if (raw === "closed") return false;
  throw new ConfigError(`Keycard: SIGNUP must be "open" or "closed" (got "${raw}").`);
}

export function getBcryptCost(env: Record<string, string | undefined> = process.env): number {
  return readInteger(env, "BCRYPT_COST", DEFAULT_BCRYPT_COST, MIN_BCRYPT_COST, MAX_BCRYPT_COST);
}

function readInteger(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Keycard: ${name} must be an integer from ${min} to ${max} (got "${raw}").`);
  }
  return value;
}

function readBoolean(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`Keycard: ${name} must be "true" or "false" (got "${raw}").`);
}
