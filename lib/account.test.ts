import { beforeEach, describe, expect, it } from "vitest";

import { changePassword, revokeOtherSession } from "./account";
import { db } from "./db/client";
import { verifyPassword } from "./auth/password";
import { createSession } from "./session/store";
import { generateSessionToken, validateSessionToken, type ValidatedSession } from "./session/store";
import { clearDatabase, failuresOf, skipRandomPruning, tally, throttledBy } from "../test/db";
import { ThrottledError } from "./auth/throttle";
import { createUser, findUserWithHash, type PublicUser } from "./auth/accounts";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "vellum otter quasar lantern";
const CLIENT = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" };

let alice: PublicUser;

beforeEach(async () => {
  await clearDatabase();
  alice = await createUser("alice", PASSWORD);
});

skipRandomPruning();

/** A signed-in session for `user`, as lib/dal.ts hands it to an action. */
async function signIn(user: PublicUser): Promise<{ token: string; current: ValidatedSession }> {
  const token = generateSessionToken();
  await createSession(token, user, { persistent: false, client: CLIENT });
  const result = await validateSessionToken(token, user.id);
  if (!result.ok) throw new Error(`fresh session did not validate: ${result.reason}`);
  return { token, current: result.value };
}

const storedHash = async () => (await findUserWithHash("alice"))?.passwordHash ?? "";
const stillSignedIn = async (token: string) => (await validateSessionToken(token, alice.id)).ok;

describe("changePassword", () => {
  it("sets the new password and signs out every other session, keeping this one", async () => {
    const here = await signIn(alice);
    const laptop = await signIn(alice);
    const phone = await signIn(alice);

    expect(await changePassword(here.current, PASSWORD, NEW_PASSWORD, CLIENT)).toBe("changed");

    expect(await verifyPassword(NEW_PASSWORD, await storedHash())).toBe(true);
    expect(await verifyPassword(PASSWORD, await storedHash())).toBe(false);
    expect(await stillSignedIn(here.token)).toBe(true);
    expect(await stillSignedIn(laptop.token)).toBe(false);
    expect(await stillSignedIn(phone.token)).toBe(false);
    const events = await db.securityEvent.findMany({ where: { type: "password_changed" } });
    expect(events).toEqual([expect.objectContaining({ userId: alice.id, ip: CLIENT.ip, detail: "2 other session(s) signed out" })]);
    expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
  });

  it("refuses a wrong current password, changing nothing and counting it like a failed sign-in", async () => {
    const here = await signIn(alice);
    const laptop = await signIn(alice);

    expect(await changePassword(here.current, "not my password", NEW_PASSWORD, CLIENT)).toBe("wrong-password");

    expect(await verifyPassword(PASSWORD, await storedHash())).toBe(true);
    expect(await stillSignedIn(laptop.token)).toBe(true);
    const counts = await db.throttle.findMany({ orderBy: { key: "asc" } });
    expect(counts.map((row) => [row.key, row.failures])).toEqual([
      ["account:alice", 1],
      [`ip:${CLIENT.ip}`, 1],
      // Every password check counts in the network's sign-in volume too.
      [expect.stringMatching(new RegExp(`^signins:${CLIENT.ip}@`)), 1],
    ]);
    const events = await db.securityEvent.findMany({ where: { type: "password_change_failed" } });
    expect(events).toEqual([expect.objectContaining({ userId: alice.id })]);
    expect(JSON.stringify(events)).not.toContain("not my password");
  });

  it("cannot be used to brute-force the password from a stolen session", async () => {
    const here = await signIn(alice);
    for (let i = 0; i < 5; i++) {
      expect(await changePassword(here.current, `guess number ${i}`, NEW_PASSWORD, CLIENT)).toBe("wrong-password");
    }
    await expect(changePassword(here.current, PASSWORD, NEW_PASSWORD, CLIENT)).rejects.toThrow(ThrottledError);
    expect(await verifyPassword(PASSWORD, await storedHash())).toBe(true);
  });

  it("checks only the first 5 of 30 guesses sent at once from a stolen session, so a right one among the rest is refused", async () => {
    const here = await signIn(alice);
    const guesses = [...Array.from({ length: 29 }, (_, i) => `guess number ${i}`), PASSWORD];
    const outcomes = await Promise.all(
      guesses.map(async (current, i) => {
        const attempt = changePassword(here.current, current, NEW_PASSWORD, { ip: `10.0.0.${i}`, userAgent: null });
        return (await throttledBy(attempt)) ? "throttled" : await attempt;
      }),
    );
    // Which 5 are checked is the order they reach the account's counter (lib/auth/sign-in.test.ts says why).
    expect(tally(outcomes)).toEqual({ "wrong-password": 5, throttled: 25 });
    expect(outcomes.at(-1)).toBe("throttled");
    expect(await failuresOf("account:alice")).toBe(5);
    expect(await db.securityEvent.count({ where: { type: "password_change_failed" } })).toBe(5);
    expect(await db.securityEvent.count({ where: { type: "sign_in_throttled" } })).toBe(1);
    expect(await verifyPassword(PASSWORD, await storedHash())).toBe(true);
  });

  it("on success resets the account and takes back only the success's attempt from the address", async () => {
    const here = await signIn(alice);
    for (let i = 0; i < 4; i++) await changePassword(here.current, `guess number ${i}`, NEW_PASSWORD, CLIENT);
    // The fifth attempt starts the account's wait before it is checked; being right lifts it.
    expect(await changePassword(here.current, PASSWORD, NEW_PASSWORD, CLIENT)).toBe("changed");
    expect(await failuresOf("account:alice")).toBe(0);
    expect(await failuresOf(`ip:${CLIENT.ip}`)).toBe(4);
    expect(await changePassword(here.current, "one more typo", PASSWORD, CLIENT)).toBe("wrong-password");
  });
});

describe("revokeOtherSession", () => {
  it("ends the user's other session it names, and records it", async () => {
    const here = await signIn(alice);
    const laptop = await signIn(alice);

    await revokeOtherSession(here.current, laptop.current.session.id, CLIENT);

    expect(await stillSignedIn(laptop.token)).toBe(false);
    expect(await stillSignedIn(here.token)).toBe(true);
    expect(await db.securityEvent.count({ where: { type: "session_revoked" } })).toBe(1);
  });

  // The id comes from a form the client can edit; PostgreSQL's text cannot even hold a NUL.
  it.each(["", "not-a-session-id", "a".repeat(63), "A".repeat(64), `${"a".repeat(32)}\u0000${"a".repeat(31)}`])(
    "ends nothing for the id %j, which no session can have",
    async (id) => {
      const here = await signIn(alice);
      const laptop = await signIn(alice);

      await revokeOtherSession(here.current, id, CLIENT);

      expect(await stillSignedIn(laptop.token)).toBe(true);
      expect(await db.securityEvent.count({ where: { type: "session_revoked" } })).toBe(0);
    },
  );
});
