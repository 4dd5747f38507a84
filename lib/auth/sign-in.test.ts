// authenticate() only: startSession/endSession need next/headers' cookies(),
// which exists only inside a Next.js request (the Playwright specs cover them).
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { authenticate } from "./sign-in";
import { db } from "../db/client";
import { signDeviceCookie } from "./device-cookie";
import { hashPassword, needsRehash, verifyPassword } from "./password";
import type { Client } from "../http/client-address";
import { clearActivity, clearDatabase, failuresOf, skipRandomPruning, tally, throttledBy } from "../../test/db";
import { consumeAttempt, ipKey, signInsKey, ThrottledError } from "./throttle";
import { createUser, findUserWithHash, type PublicUser } from "./accounts";

const PASSWORD = "correct horse battery staple";
const HOME = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" };
const ELSEWHERE = { ip: "198.51.100.1", userAgent: null };
const HOME_KEY = `ip:${HOME.ip}`;

let alice: PublicUser;

beforeAll(async () => {
  await clearDatabase();
  alice = await createUser("alice", PASSWORD);
});

beforeEach(async () => {
  await clearActivity();
});

skipRandomPruning();

const events = async (type: string) => db.securityEvent.findMany({ where: { type }, orderBy: { id: "asc" } });
const signIn = (password: string, client: Client = HOME) => authenticate({ username: "alice", password }, client);
/** A wrong guess from HOME at a new account each time: only the address's count adds up. */
const stuff = (victim: number) => authenticate({ username: `victim${victim}`, password: "Summer2024!Summer" }, HOME);

describe("authenticate", () => {
  it("returns the user for the right password", async () => {
    expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
  });

  it("returns null for a wrong password, logs it and counts it against the account and the address", async () => {
    expect(await signIn("wrong password!")).toBeNull();
    expect(await failuresOf("account:alice")).toBe(1);
    expect(await failuresOf(HOME_KEY)).toBe(1);
    const logged = await events("sign_in_failed");
    expect(logged).toEqual([expect.objectContaining({ userId: alice.id, username: "alice", ip: HOME.ip, userAgent: HOME.userAgent })]);
    expect(JSON.stringify(logged)).not.toContain("wrong password!");
  });

  it("treats an unknown user exactly like a wrong password", async () => {
    expect(await authenticate({ username: "mallory", password: PASSWORD }, HOME)).toBeNull();
    expect(await failuresOf("account:mallory")).toBe(1);
    expect(await failuresOf(HOME_KEY)).toBe(1);
    expect(await events("sign_in_failed")).toEqual([expect.objectContaining({ userId: null, username: "mallory" })]);
  });

  it("after 5 failures refuses even the right password, and logs the refusal", async () => {
    for (let i = 0; i < 5; i++) await signIn(`guess number ${i}`);

    const error = await throttledBy(signIn(PASSWORD));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error?.retryAfterSeconds).toBeGreaterThan(25);
    expect(error?.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(error?.message).toBe(`Too many attempts. Try again in ${error?.retryAfterSeconds} seconds.`);
    // In alice's own activity, so she can see someone is guessing.
    expect(await events("sign_in_throttled")).toEqual([
      expect.objectContaining({ userId: alice.id, username: "alice", ip: HOME.ip }),
    ]);
    // The account is blocked wherever the attempt comes from.
    expect(await throttledBy(signIn(PASSWORD, ELSEWHERE))).toBeInstanceOf(ThrottledError);
    // Refused attempts are not counted: they neither add failures nor extend the block.
    expect(await failuresOf("account:alice")).toBe(5);
    expect(await failuresOf(HOME_KEY)).toBe(5);
    expect(await events("sign_in_failed")).toHaveLength(5);
  });

  it("resets the account on success and takes back only the success's attempt from the address", async () => {
    for (let i = 0; i < 4; i++) await signIn(`guess number ${i}`);
    // The fifth attempt starts the account's wait before it is checked; being right lifts it.
    expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
    expect(await failuresOf("account:alice")).toBe(0);
    expect(await failuresOf(HOME_KEY)).toBe(4);
    // Four more typos are again within the account's free failures.
    for (let i = 0; i < 4; i++) await signIn(`guess number ${i}`);
    expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
    expect(await failuresOf(HOME_KEY)).toBe(8);
  });

  it("never throttles an address for signing in correctly, however often", async () => {
    for (let i = 0; i < 25; i++) expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
    expect(await failuresOf(HOME_KEY)).toBe(0);
    expect(await events("sign_in_throttled")).toEqual([]);
  });

  it("does not block an address for a success after 19 failures", async () => {
    for (let i = 0; i < 19; i++) await consumeAttempt([ipKey(HOME.ip)]);
    expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
    expect(await failuresOf(HOME_KEY)).toBe(19);
    // The next guess is still checked (the twentieth failure), and only then is the address blocked.
    expect(await stuff(19)).toBeNull();
    expect(await throttledBy(stuff(20))).toBeInstanceOf(ThrottledError);
  });

  it("throttles an address that tries many accounts (credential stuffing), but not other addresses", async () => {
    let throttled = 0;
    for (let i = 0; i < 25; i++) {
      if (await throttledBy(stuff(i))) throttled++;
    }
    // The address's 20 free failures, then refused.
    expect(throttled).toBe(5);
    expect(await failuresOf(HOME_KEY)).toBe(20);

    // An account never tried before is refused from that address, even with the right password…
    expect(await throttledBy(signIn(PASSWORD))).toBeInstanceOf(ThrottledError);
    // …but its owner signs in from anywhere else.
    expect(await signIn(PASSWORD, ELSEWHERE)).toMatchObject({ ...alice, secondFactor: false });
  });

  it("checks only the first 5 of 30 guesses sent at once at one account, so a right one among the rest is refused", async () => {
    const guesses = [...Array.from({ length: 29 }, (_, i) => `guess number ${i}`), PASSWORD];
    // From 30 addresses, so that only the account's throttle stands in the way.
    const outcomes = await Promise.all(
      guesses.map(async (password, i) => {
        const attempt = signIn(password, { ip: `10.0.0.${i}`, userAgent: null });
        return (await throttledBy(attempt)) ? "throttled" : (await attempt) ? "signed in" : "wrong password";
      }),
    );
    // The first 5 to reach the account's counter are checked. On PostgreSQL that
    // is not always the first 5 sent (a pool of connections, then the counter's
    // lock), so this counts them; the right password, sent last, is never one.
    expect(tally(outcomes)).toEqual({ "wrong password": 5, throttled: 25 });
    expect(outcomes.at(-1)).toBe("throttled");
    expect(await failuresOf("account:alice")).toBe(5);
    expect(await events("sign_in_failed")).toHaveLength(5);
    // 25 refusals, but one row: hammering a blocked account does not flood the log.
    expect(await events("sign_in_throttled")).toHaveLength(1);
  });
});

describe("authenticate from a network", () => {
  it("counts every IPv6 address of one /64 as one client: a new address per guess gains nothing", async () => {
    const fromNetwork = (n: number) => ({ ip: `2001:db8:aa:bb:${n.toString(16)}::1`, userAgent: null });
    for (let i = 0; i < 20; i++) {
      expect(await authenticate({ username: `victim${i}`, password: "Summer2024!Summer" }, fromNetwork(i))).toBeNull();
    }
    expect(await throttledBy(authenticate({ username: "alice", password: PASSWORD }, fromNetwork(999)))).toBeInstanceOf(ThrottledError);
    // The audit log keeps each address whole.
    expect((await events("sign_in_failed")).map((event) => event.ip)).toContain("2001:db8:aa:bb:13::1");
    // The next /64 is someone else.
    expect(await authenticate({ username: "alice", password: PASSWORD }, { ip: "2001:db8:aa:bc::1", userAgent: null })).toMatchObject({ ...alice, secondFactor: false });
  });

  it("refuses every sign-in attempt, right or wrong, past 600 in 10 minutes from one network", async () => {
    vi.useFakeTimers({ now: new Date("2030-01-01T00:00:00Z"), toFake: ["Date"] });
    try {
      for (let i = 0; i < 600; i++) await consumeAttempt([signInsKey(HOME.ip)]);
      const refused = await throttledBy(signIn(PASSWORD));
      expect(refused?.retryAfterSeconds).toBe(600);
      expect(await signIn(PASSWORD, ELSEWHERE)).toMatchObject({ ...alice, secondFactor: false });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("authenticate with a device cookie", () => {
  const lockOut = async () => {
    for (let i = 0; i < 5; i++) await signIn(`stranger guess ${i}`, ELSEWHERE);
    expect(await throttledBy(signIn(PASSWORD))).toBeInstanceOf(ThrottledError);
  };

  it("lets alice's own browser in while a stranger has locked the account", async () => {
    await lockOut();
    const device = signDeviceCookie("alice");
    expect(await authenticate({ username: "alice", password: PASSWORD }, HOME, { deviceCookie: device })).toMatchObject({ ...alice, secondFactor: false });
    // Her success does not reopen the account to the stranger.
    expect(await throttledBy(signIn(PASSWORD, ELSEWHERE))).toBeInstanceOf(ThrottledError);
  });

  it("gives a stolen device cookie only the device's own allowance, then refuses even the right password with it", async () => {
    const stolen = signDeviceCookie("alice");
    const withStolen = (password: string) => authenticate({ username: "alice", password }, ELSEWHERE, { deviceCookie: stolen });
    for (let i = 0; i < 5; i++) expect(await withStolen(`thief guess ${i}`)).toBeNull();
    expect(await throttledBy(withStolen(PASSWORD))).toBeInstanceOf(ThrottledError);
    // The thief's guesses were the device's, not the account's: alice, elsewhere, is not locked out.
    expect(await failuresOf("account:alice")).toBe(0);
    expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
  });

  it("ignores a device cookie of another user, a forged one, or one signed with an unknown secret", async () => {
    await lockOut();
    // A changed signature (its first character: the last may only carry padding bits).
    const signed = signDeviceCookie("alice");
    const at = signed.lastIndexOf(".") + 1;
    const forged = `${signed.slice(0, at)}${signed[at] === "A" ? "B" : "A"}${signed.slice(at + 1)}`;
    const foreign = signDeviceCookie("bob");
    vi.stubEnv("SESSION_SECRET", "another-secret-another-secret-another-secret");
    try {
      vi.resetModules();
      const { signDeviceCookie: signWithOther } = await import("./device-cookie");
      const otherSecret = signWithOther("alice");
      vi.unstubAllEnvs();
      for (const deviceCookie of [forged, foreign, otherSecret, "garbage", "a.b.c.d"]) {
        expect(await throttledBy(authenticate({ username: "alice", password: PASSWORD }, HOME, { deviceCookie }))).toBeInstanceOf(ThrottledError);
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("authenticate when hashes were made at another cost", () => {
  it("replaces the hash with one at today's BCRYPT_COST on the right password, and the password still works", async () => {
    vi.stubEnv("BCRYPT_COST", "11");
    try {
      const before = (await findUserWithHash("alice"))!.passwordHash;
      expect(needsRehash(before)).toBe(true);
      expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
      const after = (await findUserWithHash("alice"))!.passwordHash;
      expect(after.startsWith("$2b$11$")).toBe(true);
      expect(await verifyPassword(PASSWORD, after)).toBe(true);
      expect(await signIn(PASSWORD)).toMatchObject({ ...alice, secondFactor: false });
    } finally {
      vi.unstubAllEnvs();
      await db.user.update({ where: { id: alice.id }, data: { passwordHash: await hashPassword(PASSWORD) } });
    }
  });

  it("leaves the hash alone on a wrong password", async () => {
    vi.stubEnv("BCRYPT_COST", "11");
    try {
      const before = (await findUserWithHash("alice"))!.passwordHash;
      expect(await signIn("not the password")).toBeNull();
      expect((await findUserWithHash("alice"))!.passwordHash).toBe(before);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
