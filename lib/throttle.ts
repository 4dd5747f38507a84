import "server-only";
import { sqlite, statement, toStoredDate, writeWhenUnlocked } from "./sqlite";

// Brute-force and abuse throttling, persisted in SQLite so that it survives
// restarts and is shared by every process on the database. Only failures count
// (OWASP ASVS 5 V6.3.1, NIST SP 800-63B-4 §3.2.2): a client that keeps signing in
// correctly is never slowed down.

export type ThrottleRule = {
  /** Failures allowed before any waiting. */
  freeFailures: number;
  /** The first wait; each further failure doubles it, up to maxDelaySeconds. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** A key with no failure for this long starts again from zero. */
  forgetAfterSeconds: number;
};

const DAY = 24 * 60 * 60;

export const RULES = {
  // One account: a handful of typos, then 30 s, 1 min, 2 min, … up to 15 min.
  account: { freeFailures: 5, baseDelaySeconds: 30, maxDelaySeconds: 15 * 60, forgetAfterSeconds: DAY },
  // One address across accounts (credential stuffing): more room for shared
  // networks (NAT, offices), then the same backoff.
  ip: { freeFailures: 20, baseDelaySeconds: 30, maxDelaySeconds: 15 * 60, forgetAfterSeconds: DAY },
  // Sign-ups from one address (every attempt counts): a few, then slower.
  signup: { freeFailures: 5, baseDelaySeconds: 60, maxDelaySeconds: 60 * 60, forgetAfterSeconds: DAY },
} as const satisfies Record<string, ThrottleRule>;

export type ThrottleKey = { key: string; rule: ThrottleRule };

export const accountKey = (username: string): ThrottleKey => ({ key: `account:${username}`, rule: RULES.account });
export const ipKey = (ip: string): ThrottleKey => ({ key: `ip:${ip}`, rule: RULES.ip });
export const signupKey = (ip: string): ThrottleKey => ({ key: `signup-ip:${ip}`, rule: RULES.signup });

export class ThrottledError extends Error {
  override name = "ThrottledError";
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts. Try again in ${retryAfterSeconds} seconds.`);
  }
}

/**
 * The wait after `failures` failures under `rule`, in seconds (0: no wait):
 * the failure that uses up the free ones starts the first wait.
 */
export function delayAfter(failures: number, rule: ThrottleRule): number {
  if (failures < rule.freeFailures) return 0;
  const exponent = Math.min(failures - rule.freeFailures, 30);
  return Math.min(rule.maxDelaySeconds, rule.baseDelaySeconds * 2 ** exponent);
}

type ThrottleRow = { failures: number; blockedUntil: string | null; updatedAt: string };

/**
 * Takes one attempt for every key, or throws ThrottledError (counting nothing)
 * while any key is blocked. The attempt is counted as a failure *before* the
 * password is checked, atomically with the check, so a burst of parallel
 * guesses cannot all slip past it before any is counted (the way Lucia's
 * throttler consumes first). A success gives it back: settleSuccess.
 */
export async function consumeAttempt(keys: ThrottleKey[], now: Date = new Date()): Promise<void> {
  // While another process holds the write lock, wait without holding up other requests.
  const retryAfterSeconds = await writeWhenUnlocked(() => {
    const read = statement<[string], ThrottleRow>('SELECT failures, blockedUntil, updatedAt FROM "Throttle" WHERE key = ?');
    const write = statement(
      'INSERT INTO "Throttle" (key, failures, blockedUntil, updatedAt) VALUES (?, ?, ?, ?) ' +
        "ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, blockedUntil = excluded.blockedUntil, updatedAt = excluded.updatedAt",
    );
    const take = sqlite().transaction((): number => {
      const rows = keys.map(({ key }) => read.get(key));
      const blockedUntil = Math.max(0, ...rows.map((row) => (row?.blockedUntil ? Date.parse(row.blockedUntil) : 0)));
      if (blockedUntil > now.getTime()) return Math.ceil((blockedUntil - now.getTime()) / 1000);
      for (const [index, { key, rule }] of keys.entries()) {
        const row = rows[index];
        const forgetBefore = now.getTime() - rule.forgetAfterSeconds * 1000;
        const failures = row && Date.parse(row.updatedAt) > forgetBefore ? row.failures + 1 : 1;
        const delay = delayAfter(failures, rule);
        write.run(key, failures, delay > 0 ? toStoredDate(new Date(now.getTime() + delay * 1000)) : null, toStoredDate(now));
      }
      return 0;
    });
    return take.immediate();
  });
  if (retryAfterSeconds > 0) throw new ThrottledError(retryAfterSeconds);
  if (Math.random() < 0.01) await pruneThrottles(now);
}

/**
 * The attempt succeeded: the account starts again from zero (`reset`), the other
 * keys get their attempt back, so successes never count against a client.
 */
export async function settleSuccess({ reset, refund }: { reset: ThrottleKey[]; refund: ThrottleKey[] }): Promise<void> {
  await writeWhenUnlocked(() => {
    const remove = statement('DELETE FROM "Throttle" WHERE key = ?');
    const read = statement<[string], { failures: number }>('SELECT failures FROM "Throttle" WHERE key = ?');
    const decrement = statement('UPDATE "Throttle" SET failures = ? WHERE key = ?');
    const unblock = statement('UPDATE "Throttle" SET failures = ?, blockedUntil = NULL WHERE key = ?');
    sqlite()
      .transaction(() => {
        for (const { key } of reset) remove.run(key);
        for (const { key, rule } of refund) {
          const row = read.get(key);
          if (!row || row.failures === 0) continue;
          const failures = row.failures - 1;
          (delayAfter(failures, rule) === 0 ? unblock : decrement).run(failures, key);
        }
      })
      .immediate();
  });
}

/** Deletes counters that are forgotten anyway and no longer block. */
export async function pruneThrottles(now: Date = new Date()): Promise<number> {
  const { changes } = await writeWhenUnlocked(() =>
    statement(
      'DELETE FROM "Throttle" WHERE julianday(updatedAt) < julianday(?) AND (blockedUntil IS NULL OR julianday(blockedUntil) < julianday(?))',
    ).run(toStoredDate(new Date(now.getTime() - DAY * 1000)), toStoredDate(now)),
  );
  return changes;
}
