// Runs before `npm run dev`: zero-configuration development. Creates a session
// secret and a key for authenticator secrets in .env.local once, applies
// migrations, and adds the demo user, all in the development database:
// package.json sets NODE_ENV as `next dev` does, so both pick the same file (lib/config.ts).
import "./load-env";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { describeDatabase } from "../lib/config";
import { DEMO_ACCOUNT } from "../lib/auth/demo-account";
import { exitOnError, migrateDatabase } from "./migrate";

const ENV_FILE = ".env.local";

/**
 * A random secret under `name` in .env.local, once. Names of their own, so
 * production (which reads only SESSION_SECRET and TOTP_ENCRYPTION_KEY) never uses them.
 */
function ensureDevSecret(name: string, what: string): void {
  const current = existsSync(ENV_FILE) ? readFileSync(ENV_FILE, "utf8") : "";
  if (new RegExp(`^${name}=`, "m").test(current)) return;
  const line = `${name}=${randomBytes(32).toString("base64url")}\n`;
  appendFileSync(ENV_FILE, `${current && !current.endsWith("\n") ? "\n" : ""}# Development only; ignored when NODE_ENV=production.\n${line}`, { mode: 0o600 });
  console.log(`keycard: wrote a development ${what} to ${ENV_FILE}`);
}

async function ensureDemoUser(): Promise<void> {
  // Imported late: lib/users opens the database, which must be migrated first.
  const { findUserWithHash, createUser } = await import("../lib/auth/accounts");
  if (await findUserWithHash(DEMO_ACCOUNT.username)) return;
  await createUser(DEMO_ACCOUNT.username, DEMO_ACCOUNT.password);
  console.log(`keycard: created the demo user ${DEMO_ACCOUNT.username} / ${DEMO_ACCOUNT.password} in ${describeDatabase()} (development only)`);
}

exitOnError(async () => {
  if (process.env.NODE_ENV === "production") throw new Error("Keycard: prepare-dev is for development only.");
  ensureDevSecret("KEYCARD_DEV_SESSION_SECRET", "session secret");
  ensureDevSecret("KEYCARD_DEV_TOTP_ENCRYPTION_KEY", "key for authenticator secrets");
  await migrateDatabase();
  await ensureDemoUser();
  process.exit(0);
});
