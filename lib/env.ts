// Reads and checks Keycard's configuration once, failing fast with a message that
// names the variable and the fix. Edge-safe (middleware imports it): no Node APIs.

const MIN_SECRET_LENGTH = 32;
const DEFAULT_SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;
const DEFAULT_BCRYPT_COST = 12;
const MIN_BCRYPT_COST = 10;
const MAX_BCRYPT_COST = 16;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const isProduction = process.env.NODE_ENV === "production";

export type SessionConfig = {
  secret: string;
  ttlSeconds: number;
  secureCookie: boolean;
};

let sessionConfig: SessionConfig | undefined;

export function getSessionConfig(): SessionConfig {
  sessionConfig ??= readSessionConfig(process.env);
  return sessionConfig;
}

export function readSessionConfig(env: Record<string, string | undefined>): SessionConfig {
  const production = env.NODE_ENV === "production";
  return {
    secret: readSessionSecret(env, production),
    ttlSeconds: readInteger(env, "SESSION_TTL_SECONDS", DEFAULT_SESSION_TTL_SECONDS, 300, 400 * 24 * 60 * 60),
    secureCookie: readBoolean(env, "SESSION_COOKIE_SECURE", production),
  };
}

function readSessionSecret(env: Record<string, string | undefined>, production: boolean): string {
  // The dev secret lives under its own name in .env.local (written by `npm run dev`),
  // so a production server that happens to find that file still refuses to start.
  const secret = env.SESSION_SECRET || (production ? undefined : env.KEYCARD_DEV_SESSION_SECRET);
  if (!secret) {
    throw new ConfigError(
      production
        ? 'Keycard: SESSION_SECRET is not set. Generate one with `node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\'))"` and set it in the environment.'
        : "Keycard: no session secret. Run `npm run dev` (it writes one to .env.local) or set SESSION_SECRET.",
    );
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `Keycard: SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length}). Generate one with \`openssl rand -base64 32\`.`,
    );
  }
  return secret;
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
