import { beforeEach, describe, expect, it, vi } from "vitest";

import { db } from "../db/client";
import { clearDatabase, failuresOf, skipRandomPruning, throttledBy } from "../../test/db";
import {
  accountKey,
  consumeAttempt,
  delayAfter,
  ipKey,
  pruneThrottles,
  RULES,
  settleAttempt,
  signInsKey,
  signupKey,
  ThrottledError,
  type ThrottleKey,
} from "./throttle";

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const T0 = new Date("2030-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

const ALICE = accountKey("alice");
const BOB = accountKey("bob");
const ADDRESS = "203.0.113.7";
const HOME = ipKey(ADDRESS);

skipRandomPruning();

beforeEach(async () => {
  await clearDatabase();
});

/** Takes `times` attempts for `keys` at `now`, each of which must be let through. */
async function attempt(keys: ThrottleKey[], times: number, now: Date): Promise<void> {
  for (let i = 0; i < times; i++) await consumeAttempt(keys, now);
}

/** How many seconds consumeAttempt would make `keys` wait at `now` (0: it would let one through, and count it). */
async function waitFor(keys: ThrottleKey[], now: Date): Promise<number> {
  return (await throttledBy(consumeAttempt(keys, now)))?.retryAfterSeconds ?? 0;
}

describe("delayAfter", () => {
  it("waits nothing for the free failures, then 30 s, doubling, capped at 15 minutes", () => {
    const rule = RULES.account;
    expect([0, 1, 2, 3, 4].map((failures) => delayAfter(failures, rule))).toEqual([0, 0, 0, 0, 0]);
    expect([5, 6, 7, 8, 9, 10, 11].map((failures) => delayAfter(failures, rule))).toEqual([
      30, 60, 120, 240, 480, 900, 900,
    ]);
    expect(delayAfter(10_000, rule)).toBe(900);
  });

  it("gives an address 20 free failures and sign-up 5, with their own backoff", () => {
    expect(delayAfter(19, RULES.ip)).toBe(0);
    expect(delayAfter(20, RULES.ip)).toBe(30);
    expect(delayAfter(4, RULES.signup)).toBe(0);
    expect(delayAfter(5, RULES.signup)).toBe(60);
    expect(delayAfter(100, RULES.signup)).toBe(3600);
  });
});

describe("consumeAttempt", () => {
  it("lets an account make 5 attempts, the fifth starting a 30 s wait", async () => {
    await attempt([ALICE], 4, T0);
    expect(await failuresOf(ALICE.key)).toBe(4);
    await attempt([ALICE], 1, T0);
    expect(await failuresOf(ALICE.key)).toBe(5);

    const error = await throttledBy(consumeAttempt([ALICE], at(10 * SECOND)));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryAfterSeconds: 20, message: "Too many attempts. Try again in 20 seconds." });
    expect(await waitFor([ALICE], T0)).toBe(30);
    expect(await waitFor([ALICE], at(29.5 * SECOND))).toBe(1);
  });

  it("counts nothing while refusing, so waiting out the block is enough", async () => {
    await attempt([ALICE], 5, T0);
    for (let i = 0; i < 10; i++) expect(await waitFor([ALICE], at(i * SECOND))).toBe(30 - i);
    expect(await failuresOf(ALICE.key)).toBe(5);
    // The block has passed: this attempt is let through (and counted, as the sixth).
    expect(await waitFor([ALICE], at(30 * SECOND))).toBe(0);
    expect(await failuresOf(ALICE.key)).toBe(6);
  });

  it("doubles the wait with each attempt after the free ones, up to 15 minutes", async () => {
    const waits: number[] = [];
    let now = 0;
    for (let i = 0; i < 11; i++) {
      await consumeAttempt([ALICE], at(now));
      const { blockedUntil } = await db.throttle.findUniqueOrThrow({ where: { key: ALICE.key } });
      const wait = blockedUntil ? (blockedUntil.getTime() - at(now).getTime()) / SECOND : 0;
      waits.push(wait);
      now += wait * SECOND;
    }
    expect(waits).toEqual([0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]);
    // What the next attempt is told agrees: one second before the last wait ends, one second to go.
    expect(await waitFor([ALICE], at(now - SECOND))).toBe(1);
  });

  it("refuses while any key is blocked, says the longest wait, and counts against none of them", async () => {
    await attempt([HOME], 20, T0);
    await attempt([ALICE], 5, at(10 * SECOND));

    expect(await waitFor([HOME], at(10 * SECOND))).toBe(20);
    expect(await waitFor([ALICE, HOME], at(10 * SECOND))).toBe(30);
    expect(await waitFor([BOB, HOME], at(10 * SECOND))).toBe(20);
    // Bob's attempt was refused as a whole: nothing was counted against him.
    expect(await failuresOf(BOB.key)).toBe(0);
    expect(await failuresOf(HOME.key)).toBe(20);
  });

  it("refusing erases nothing that other requests write meanwhile", async () => {
    // Every query shares one SQLite connection: a transaction rolled back to
    // refuse would take these writes, already reported saved, with it.
    await attempt([ALICE], 5, T0);
    // Ten requests at once, each logging its refusal as lib/auth/sign-in.ts does, while the next is being refused.
    const requests = Array.from({ length: 10 }, async () => {
      const refusal = await throttledBy(consumeAttempt([ALICE], T0));
      await db.securityEvent.create({ data: { type: "sign_in_throttled" } });
      return refusal;
    });
    expect(await Promise.all(requests)).toEqual(Array.from({ length: 10 }, () => expect.any(ThrottledError)));
    expect(await db.securityEvent.count()).toBe(10);
  });

  it("lets through exactly the free attempts of a burst sent at once, and refuses the rest", async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => throttledBy(consumeAttempt([ALICE, HOME], T0))));
    expect(results.filter((error) => error === null)).toHaveLength(5);
    expect(results.filter((error) => error instanceof ThrottledError)).toHaveLength(25);
    expect(await failuresOf(ALICE.key)).toBe(5);
    expect(await failuresOf(HOME.key)).toBe(5);
  });

  it("forgets a key left alone for a day: counting starts again from one", async () => {
    await attempt([ALICE], 4, T0);
    await attempt([ALICE], 1, at(DAY + SECOND));
    expect(await failuresOf(ALICE.key)).toBe(1);
    await attempt([ALICE], 3, at(DAY + 2 * SECOND));
    expect(await waitFor([ALICE], at(DAY + 2 * SECOND))).toBe(0);
    // That was the fifth since the restart.
    expect(await waitFor([ALICE], at(DAY + 2 * SECOND))).toBe(30);
  });

  it("keeps counting attempts spread out within a day", async () => {
    for (let i = 0; i < 5; i++) await consumeAttempt([ALICE], at(i * 4 * HOUR));
    expect(await waitFor([ALICE], at(16 * HOUR))).toBe(30);
  });

  it("keeps accounts, addresses and sign-ups apart", async () => {
    await attempt([ALICE], 5, T0);
    expect(await waitFor([ALICE], T0)).toBe(30);
    expect(await waitFor([BOB], T0)).toBe(0);
    expect(await waitFor([ipKey("alice")], T0)).toBe(0);
    expect(await waitFor([signupKey("alice")], T0)).toBe(0);
  });

  it("lets an address sign up 5 times, then makes it wait a minute", async () => {
    const signups = signupKey(ADDRESS);
    await attempt([signups], 5, T0);
    expect(await waitFor([signups], T0)).toBe(60);
  });
});

describe("signInsKey: every sign-in attempt per network, per 10-minute window", () => {
  const WINDOW_START = new Date("2030-01-01T00:10:00Z");
  const inWindow = (ms: number) => new Date(WINDOW_START.getTime() + ms);

  it("lets 600 attempts through in one window, refuses the next until the window ends, then starts again", async () => {
    const key = signInsKey(ADDRESS);
    await attempt([key], 600, inWindow(0));
    expect(await waitFor([key], inWindow(4 * 60 * SECOND))).toBe(6 * 60);
    expect(await waitFor([key], inWindow(10 * 60 * SECOND - 1))).toBe(1);
    expect(await waitFor([key], inWindow(10 * 60 * SECOND))).toBe(0);
  });

  it("is not given back by a success: settling refunds only what it is asked to", async () => {
    const key = signInsKey(ADDRESS);
    await attempt([key], 599, inWindow(0));
    await attempt([key, ALICE], 1, inWindow(0));
    await settleAttempt({ reset: [ALICE] }, inWindow(0));
    expect(await waitFor([key], inWindow(0))).toBe(600);
    // A refusal for load is given back, and lets the next attempt through.
    await settleAttempt({ refund: [key] }, inWindow(0));
    expect(await waitFor([key], inWindow(0))).toBe(0);
  });

  it("counts every IPv6 address of one /64 as one network", async () => {
    await attempt([signInsKey("2001:db8:5:6::1")], 300, inWindow(0));
    await attempt([signInsKey("2001:db8:5:6:ffff::2")], 300, inWindow(0));
    expect(await waitFor([signInsKey("2001:db8:5:6:1234:5678:9abc:def0")], inWindow(0))).toBeGreaterThan(0);
    expect(await waitFor([signInsKey("2001:db8:5:7::1")], inWindow(0))).toBe(0);
  });
});

describe("network keys", () => {
  it("count IPv6 failures and sign-ups by /64, IPv4 by address", async () => {
    expect(ipKey("2001:db8:1:2::1").key).toBe(ipKey("2001:db8:1:2:a:b:c:d").key);
    expect(ipKey("2001:db8:1:2::1").key).not.toBe(ipKey("2001:db8:1:3::1").key);
    expect(signupKey("2001:db8:1:2::1").key).toBe(signupKey("2001:db8:1:2::ffff").key);
    expect(ipKey("203.0.113.7").key).not.toBe(ipKey("203.0.113.8").key);
  });

  it("follow THROTTLE_IPV6_PREFIX", async () => {
    vi.stubEnv("THROTTLE_IPV6_PREFIX", "48");
    try {
      expect(ipKey("2001:db8:1:2::1").key).toBe(ipKey("2001:db8:1:ffff::1").key);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("settleAttempt", () => {
  it("deletes the reset keys and gives each refund key its attempt back", async () => {
    await attempt([ALICE, HOME], 4, T0);
    await settleAttempt({ reset: [ALICE], refund: [HOME] });
    expect(await db.throttle.findUnique({ where: { key: ALICE.key } })).toBeNull();
    expect(await failuresOf(HOME.key)).toBe(3);
  });

  it("unblocks an account it resets: the fifth attempt may be the right one", async () => {
    await attempt([ALICE], 5, T0);
    await settleAttempt({ reset: [ALICE], refund: [] });
    expect(await waitFor([ALICE], T0)).toBe(0);
    expect(await failuresOf(ALICE.key)).toBe(1);
  });

  it("unblocks an address whose refund takes it back under its free failures", async () => {
    await attempt([HOME], 20, T0);
    await settleAttempt({ reset: [], refund: [HOME] });
    expect(await failuresOf(HOME.key)).toBe(19);
    expect(await waitFor([HOME], T0)).toBe(0);
    // That was the twentieth failure again.
    expect(await waitFor([HOME], T0)).toBe(30);
  });

  it("keeps the block of an address still over its free failures after the refund", async () => {
    await attempt([HOME], 20, T0);
    await attempt([HOME], 1, at(30 * SECOND));
    await settleAttempt({ reset: [], refund: [HOME] });
    expect(await failuresOf(HOME.key)).toBe(20);
    expect(await waitFor([HOME], at(30 * SECOND))).toBe(60);
  });

  it("never takes a count below zero nor creates a row", async () => {
    await settleAttempt({ reset: [ALICE], refund: [HOME] });
    expect(await db.throttle.count()).toBe(0);
    await db.throttle.create({ data: { key: HOME.key, failures: 0, updatedAt: T0 } });
    await settleAttempt({ reset: [], refund: [HOME] });
    expect(await failuresOf(HOME.key)).toBe(0);
  });
});

describe("pruneThrottles", () => {
  it("deletes counters idle for over a day that no longer block, and keeps the rest", async () => {
    await attempt([accountKey("stale")], 2, at(-2 * DAY));
    await attempt([accountKey("stale-block-over")], 5, at(-2 * DAY));
    await attempt([accountKey("recent")], 2, at(-HOUR));
    await attempt([accountKey("blocked-recently")], 5, at(-10 * SECOND));
    // No rule blocks for a day today; a longer block set by hand proves that an
    // old row still blocking is kept whatever the rules become.
    await attempt([accountKey("stale-still-blocked")], 5, at(-2 * DAY));
    await db.throttle.update({ where: { key: "account:stale-still-blocked" }, data: { blockedUntil: at(HOUR) } });

    expect(await pruneThrottles(T0)).toBe(2);
    const left = (await db.throttle.findMany({ select: { key: true }, orderBy: { key: "asc" } })).map((row) => row.key);
    expect(left).toEqual(["account:blocked-recently", "account:recent", "account:stale-still-blocked"]);
  });

  it("runs on about one attempt in a hundred", async () => {
    await attempt([accountKey("stale")], 1, at(-2 * DAY));
    await consumeAttempt([ALICE], T0);
    expect(await db.throttle.count()).toBe(2);
    vi.spyOn(Math, "random").mockReturnValue(0.001);
    await consumeAttempt([ALICE], T0);
    expect(await db.throttle.count()).toBe(1);
  });
});
