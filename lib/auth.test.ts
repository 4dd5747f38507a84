// authenticate() only: startSession/endSession need next/headers' cookies(),
// which exists only inside a Next.js request (the Playwright specs cover them).
import { beforeAll, beforeEach, describe, expect, it } from "vitest";

import { authenticate } from "./auth";
import { db } from "./db";
import type { Client } from "./request-context";
import { clearActivity, clearDatabase, failuresOf, skipRandomPruning, throttledBy } from "./test-db";
import { consumeAttempt, ipKey, ThrottledError } from "./throttle";
import { createUser, type PublicUser } from "./users";

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
    expect(await signIn(PASSWORD)).toEqual(alice);
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
    expect(await signIn(PASSWORD)).toEqual(alice);
    expect(await failuresOf("account:alice")).toBe(0);
    expect(await failuresOf(HOME_KEY)).toBe(4);
    // Four more typos are again within the account's free failures.
    for (let i = 0; i < 4; i++) await signIn(`guess number ${i}`);
    expect(await signIn(PASSWORD)).toEqual(alice);
    expect(await failuresOf(HOME_KEY)).toBe(8);
  });

  it("never throttles an address for signing in correctly, however often", async () => {
    for (let i = 0; i < 25; i++) expect(await signIn(PASSWORD)).toEqual(alice);
    expect(await failuresOf(HOME_KEY)).toBe(0);
    expect(await events("sign_in_throttled")).toEqual([]);
  });

  it("does not block an address for a success after 19 failures", async () => {
    for (let i = 0; i < 19; i++) await consumeAttempt([ipKey(HOME.ip)]);
    expect(await signIn(PASSWORD)).toEqual(alice);
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
    expect(await signIn(PASSWORD, ELSEWHERE)).toEqual(alice);
  });

  it("checks only the first 5 of 30 guesses sent at once at one account, so a right one among the rest is refused", async () => {
    const guesses = [...Array.from({ length: 29 }, (_, i) => `guess number ${i}`), PASSWORD];
    // From 30 addresses, so that only the account's throttle stands in the way.
    const outcomes = await Promise.all(
      guesses.map(async (password, i) => {
        const attempt = signIn(password, { ip: `10.0.0.${i}`, userAgent: null });
        return (await throttledBy(attempt)) ? "throttled" : await attempt;
      }),
    );
    expect(outcomes).toEqual([...Array<null>(5).fill(null), ...Array<string>(25).fill("throttled")]);
    expect(await failuresOf("account:alice")).toBe(5);
    expect(await events("sign_in_failed")).toHaveLength(5);
    // 25 refusals, but one row: hammering a blocked account does not flood the log.
    expect(await events("sign_in_throttled")).toHaveLength(1);
  });
});
