// The demo account `npm run dev` creates (scripts/prepare-dev.ts). Its password
// is in the README, so no production server may start while it still works.
import { describeDatabase } from "../config";
import { findUserWithHash } from "../db/users";
import { verifyPassword } from "./password";
import { isDatabaseUnavailable } from "../db/errors";

export const DEMO_ACCOUNT = { username: "user1", password: "password123" } as const;

/**
 * Why a production server must not start on this database: the demo account
 * still signs in with the demo password (a development database, or one that
 * `npm run dev` once seeded). Null when it does not, when there is no such
 * account, and outside production. Costs one query, plus one bcrypt compare
 * when the account exists.
 */
export async function demoAccountProblem(): Promise<string | null> {
  if (process.env.NODE_ENV !== "production") return null;
  const { username, password } = DEMO_ACCOUNT;
  let stored: { passwordHash: string } | null;
  try {
    stored = await findUserWithHash(username);
  } catch (error) {
    // A missing or unmigrated file holds no account; the server answers 503 until it is fixed.
    if (isDatabaseUnavailable(error)) return null;
    throw error;
  }
  if (!stored || !(await verifyPassword(password, stored.passwordHash))) return null;
  return (
    `Keycard: the account "${username}" in ${describeDatabase()} still signs in with the demo password "${password}" that \`npm run dev\` gives it. ` +
    `Give it a password of its own (\`npm run users -- passwd ${username}\`) or remove it (\`npm run users -- remove ${username}\`), with this DATABASE_URL; ` +
    "or, if this is a development database, set DATABASE_URL to the production one."
  );
}
