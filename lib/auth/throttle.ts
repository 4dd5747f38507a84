import "server-only";
import { throttleNetwork } from "../http/client-address";
import { deleteIdleThrottleRows, updateThrottleRows, type ThrottleRow } from "../db/throttle";
import { getIpv6ThrottlePrefix } from "../config";

// Brute-force and abuse throttling, persisted in the database so that it
// survives restarts and is shared by every process on it. Guessing is counted
// in failures (OWASP ASVS 5 V6.3.1, NIST SP 800-63B-4 §3.2.2): a client that
// keeps signing in correctly is not slowed down by them. Sheer volume is
// bounded apart, by a generous limit on every sign-in attempt per network.

/** Failures with exponential backoff: a few free, then waits that double. */
export type BackoffRule = {
  kind: "backoff";
  /** Failures allowed before any waiting. */
  freeFailures: number;
  /** The first wait; each further failure doubles it, up to maxDelaySeconds. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** A key with no failure for this long starts again from zero. */
  forgetAfterSeconds: number;
};

/** Every attempt counts; at most `limit` in each fixed window of `windowSeconds`. */
export type WindowRule = { kind: "window"; limit: number; windowSeconds: number };

export type ThrottleRule = BackoffRule | WindowRule;

const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

export const RULES = {
  // One account: a handful of typos, then 30 s, 1 min, 2 min, … up to 15 min.
  account: { kind: "backoff", freeFailures: 5, baseDelaySeconds: 30, maxDelaySeconds: 15 * MINUTE, forgetAfterSeconds: DAY },
  // One browser that has signed in to the account before (lib/auth/device-cookie.ts):
  // the same allowance as the account, but its own, so a stranger's guesses
  // never lock it out and a stolen device cookie buys no more than this.
  device: { kind: "backoff", freeFailures: 5, baseDelaySeconds: 30, maxDelaySeconds: 15 * MINUTE, forgetAfterSeconds: DAY },
  // Second factors (codes from the app, recovery codes) of one account, and of
  // one of its devices: the password's allowance, counted apart, so a code
  // typed wrong never costs the account's password attempts and the reverse.
  // The network's count (ip) is shared: guessing is guessing, of either.
  secondFactor: { kind: "backoff", freeFailures: 5, baseDelaySeconds: 30, maxDelaySeconds: 15 * MINUTE, forgetAfterSeconds: DAY },
  // One network across accounts (credential stuffing): more room for shared
  // networks (NAT, offices), then the same backoff.
  ip: { kind: "backoff", freeFailures: 20, baseDelaySeconds: 30, maxDelaySeconds: 15 * MINUTE, forgetAfterSeconds: DAY },
  // Sign-ups from one network (every attempt counts): a few, then slower.
  signup: { kind: "backoff", freeFailures: 5, baseDelaySeconds: MINUTE, maxDelaySeconds: 60 * MINUTE, forgetAfterSeconds: DAY },
  // Every sign-in attempt from one network, right or wrong: one a second on
  // average, in bursts, bounds the bcrypt work and sessions one network can cause.
  signIns: { kind: "window", limit: 600, windowSeconds: 10 * MINUTE },
} as const satisfies Record<string, ThrottleRule>;

export type ThrottleKey = { key: string; rule: ThrottleRule };

/** Addresses count by network: IPv4 by address, IPv6 by prefix (lib/http/client-address.ts). */
const network = (ip: string) => throttleNetwork(ip, getIpv6ThrottlePrefix());

export const accountKey = (username: string): ThrottleKey => ({ key: `account:${username}`, rule: RULES.account });
export const deviceKey = (deviceId: string): ThrottleKey => ({ key: `device:${deviceId}`, rule: RULES.device });
export const secondFactorKey = (userId: number): ThrottleKey => ({ key: `2fa-account:${userId}`, rule: RULES.secondFactor });
export const secondFactorDeviceKey = (deviceId: string): ThrottleKey => ({ key: `2fa-device:${deviceId}`, rule: RULES.secondFactor });
export const ipKey = (ip: string): ThrottleKey => ({ key: `ip:${network(ip)}`, rule: RULES.ip });
export const signupKey = (ip: string): ThrottleKey => ({ key: `signup-ip:${network(ip)}`, rule: RULES.signup });
export const signInsKey = (ip: string): ThrottleKey => ({ key: `signins:${network(ip)}`, rule: RULES.signIns });

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
export function delayAfter(failures: number, rule: BackoffRule): number {
  if (failures < rule.freeFailures) return 0;
  const exponent = Math.min(failures - rule.freeFailures, 30);
  return Math.min(rule.maxDelaySeconds, rule.baseDelaySeconds * 2 ** exponent);
}

/** The row a key is counted in: a window rule's key gets a fresh row each window. */
function rowKey({ key, rule }: ThrottleKey, now: Date): string {
  if (rule.kind === "backoff") return key;
  return `${key}@${Math.floor(now.getTime() / (rule.windowSeconds * 1000))}`;
}

/** Until when `failures` counted at `now` block the key (null: not blocked). */
function blockedUntilAfter(failures: number, rule: ThrottleRule, now: Date): Date | null {
  if (rule.kind === "window") {
    if (failures < rule.limit) return null;
    const windowMs = rule.windowSeconds * 1000;
    return new Date((Math.floor(now.getTime() / windowMs) + 1) * windowMs);
  }
  const delay = delayAfter(failures, rule);
  return delay > 0 ? new Date(now.getTime() + delay * 1000) : null;
}

function forgetAfterSeconds(rule: ThrottleRule): number {
  return rule.kind === "backoff" ? rule.forgetAfterSeconds : rule.windowSeconds;
}

/**
 * Takes one attempt for every key, or throws ThrottledError (counting nothing)
 * while any key is blocked. The attempt is counted as a failure *before* the
 * password is checked, atomically with the check, so a burst of parallel
 * guesses cannot all slip past it before any is counted (the way Lucia's
 * throttler consumes first). A success or a refusal for load gives it back:
 * settleAttempt.
 */
export async function consumeAttempt(keys: ThrottleKey[], now: Date = new Date()): Promise<void> {
  const retryAfterSeconds = await updateThrottleRows(
    keys.map((key) => rowKey(key, now)),
    (rows) => {
      const blockedUntil = Math.max(0, ...rows.map((row) => row?.blockedUntil?.getTime() ?? 0));
      if (blockedUntil > now.getTime()) return { write: [], remove: [], result: Math.ceil((blockedUntil - now.getTime()) / 1000) };
      const write = keys.map((key, index): ThrottleRow => {
        const row = rows[index];
        const forgetBefore = now.getTime() - forgetAfterSeconds(key.rule) * 1000;
        const failures = row && row.updatedAt.getTime() > forgetBefore ? row.failures + 1 : 1;
        return { key: rowKey(key, now), failures, blockedUntil: blockedUntilAfter(failures, key.rule, now), updatedAt: now };
      });
      return { write, remove: [], result: 0 };
    },
  );
  if (retryAfterSeconds > 0) throw new ThrottledError(retryAfterSeconds);
  if (Math.random() < 0.01) await pruneThrottles(now);
}

/**
 * Settles an attempt consumeAttempt counted: the `reset` keys start again from
 * zero (a right password for the account), the `refund` keys get their attempt
 * back (a success, or a refusal for load, is not a guess). `now` must be the
 * attempt's, for keys counted per window.
 */
export async function settleAttempt(
  { reset = [], refund = [] }: { reset?: ThrottleKey[]; refund?: ThrottleKey[] },
  now: Date = new Date(),
): Promise<void> {
  await updateThrottleRows(
    refund.map((key) => rowKey(key, now)),
    (rows) => {
      const write = refund.flatMap((key, index): ThrottleRow[] => {
        const row = rows[index];
        if (!row || row.failures === 0) return [];
        const failures = row.failures - 1;
        // Still over the allowance: the block stands as it was.
        const stillBlocked = blockedUntilAfter(failures, key.rule, now) !== null;
        return [{ ...row, failures, blockedUntil: stillBlocked ? row.blockedUntil : null }];
      });
      return { write, remove: reset.map((key) => rowKey(key, now)), result: undefined };
    },
  );
}

/** Deletes counters that are forgotten anyway and no longer block. */
export async function pruneThrottles(now: Date = new Date()): Promise<number> {
  return deleteIdleThrottleRows(new Date(now.getTime() - DAY * 1000), now);
}
