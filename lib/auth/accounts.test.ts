import { beforeEach, describe, expect, it } from "vitest";

import { listRecentEvents } from "../audit";
import { db } from "../db/client";
import { verifyPassword } from "./password";
import { createSession } from "../session/store";
import { generateSessionToken, sessionIdFromToken, validateSessionToken } from "../session/store";
import { clearDatabase, failWrites, isInjectedFailure, rawRows } from "../../test/db";
import {
  createUser,
  createUserWithSession,
  findUserByUsername,
  findUserWithHash,
  listUsers,
  removeUser,
  setPasswordAndSignOut,
  UsernameTakenError,
  UserNotFoundError,
} from "./accounts";

const PASSWORD = "correct horse battery staple";
const CLIENT = { ip: "203.0.113.7", userAgent: null };

beforeEach(async () => {
  await clearDatabase();
});

describe("createUser", () => {
  it("stores a bcrypt hash, never the password, and returns only public fields", async () => {
    const alice = await createUser("alice", PASSWORD);
    expect(alice).toEqual({ id: expect.any(Number), username: "alice" });
    expect(JSON.stringify(await rawRows("User"))).not.toContain(PASSWORD);
    const stored = await findUserWithHash("alice");
    expect(stored?.passwordHash).toMatch(/^\$2[aby]\$10\$/);
    expect(await verifyPassword(PASSWORD, stored?.passwordHash ?? "")).toBe(true);
  });

  it("refuses a taken username, even when two sign-ups race for it", async () => {
    await createUser("alice", PASSWORD);
    await expect(createUser("alice", "another long password")).rejects.toThrow(UsernameTakenError);
    await expect(createUser("alice", "another long password")).rejects.toThrow("That username is taken.");

    const results = await Promise.allSettled([createUser("bob", PASSWORD), createUser("bob", "another long password")]);
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((result) => result.status === "rejected");
    expect(rejected?.reason).toBeInstanceOf(UsernameTakenError);
    expect(await db.user.count({ where: { username: "bob" } })).toBe(1);
  });
});

describe("createUserWithSession", () => {
  it("creates the account and its first session, which counts at once", async () => {
    const token = generateSessionToken();
    const alice = await createUserWithSession("alice", PASSWORD, token, { persistent: false, client: CLIENT });
    expect(alice).toEqual({ id: expect.any(Number), username: "alice" });
    expect(await findUserByUsername("alice")).toEqual(alice);
    expect(await verifyPassword(PASSWORD, (await findUserWithHash("alice"))?.passwordHash ?? "")).toBe(true);
    const check = await validateSessionToken(token, alice.id);
    expect(check.ok && check.value.session).toMatchObject({ id: sessionIdFromToken(token), persistent: false, revokedAt: null });
    // Read back through Prisma too: the rows are in the format it writes.
    expect(await db.session.findUnique({ where: { id: sessionIdFromToken(token) } })).toMatchObject({ userId: alice.id, ip: CLIENT.ip });
    expect((await listUsers())[0]).toEqual({ ...alice, createdAt: expect.any(Date) });
    // Newest first: signed in, after the account was created.
    expect((await listRecentEvents(alice.id)).map((event) => [event.type, event.ip])).toEqual([
      ["sign_in", CLIENT.ip],
      ["sign_up", CLIENT.ip],
    ]);
  });

  it("refuses a taken username and leaves no session behind, even when two sign-ups race", async () => {
    await createUser("alice", PASSWORD);
    await expect(createUserWithSession("alice", PASSWORD, generateSessionToken(), { persistent: false, client: CLIENT })).rejects.toThrow(
      UsernameTakenError,
    );
    const results = await Promise.allSettled(
      [1, 2].map(() => createUserWithSession("bob", PASSWORD, generateSessionToken(), { persistent: false, client: CLIENT })),
    );
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((result) => result.status === "rejected")?.reason).toBeInstanceOf(UsernameTakenError);
    expect(await db.user.count({ where: { username: "bob" } })).toBe(1);
    expect(await db.session.count()).toBe(1);
  });

  // The database fails after the account's row, as a full disk or an I/O error would.
  it.each(["Session", "SecurityEvent"])(
    "creates nothing when the %s row cannot be written: trying again is not told the name is taken",
    async (table) => {
      const restore = await failWrites(table, "INSERT");
      try {
        await expect(createUserWithSession("alice", PASSWORD, generateSessionToken(), { persistent: false, client: CLIENT })).rejects.toSatisfy(
          isInjectedFailure,
        );
      } finally {
        await restore();
      }
      expect(await findUserByUsername("alice")).toBeNull();
      expect([await rawRows("Session"), await rawRows("SecurityEvent")]).toEqual([[], []]);
      const token = generateSessionToken();
      const alice = await createUserWithSession("alice", PASSWORD, token, { persistent: false, client: CLIENT });
      expect((await validateSessionToken(token, alice.id)).ok).toBe(true);
    },
  );
});

describe("finding users", () => {
  it("finds by username without the hash, and lists users by name", async () => {
    const bob = await createUser("bob", PASSWORD);
    const alice = await createUser("alice", PASSWORD);
    expect(await findUserByUsername("bob")).toEqual(bob);
    expect(await findUserByUsername("carol")).toBeNull();
    expect(await findUserWithHash("carol")).toBeNull();
    const listed = await listUsers();
    expect(listed.map((user) => user.username)).toEqual(["alice", "bob"]);
    expect(listed[0]).toEqual({ ...alice, createdAt: expect.any(Date) });
  });
});

describe("setPasswordAndSignOut", () => {
  const NEW_PASSWORD = "a brand new passphrase";

  async function signIn(user: { id: number; username: string }): Promise<string> {
    const token = generateSessionToken();
    await createSession(token, user, { persistent: false, client: CLIENT });
    return token;
  }

  async function passwordIs(username: string, password: string): Promise<boolean> {
    return verifyPassword(password, (await findUserWithHash(username))?.passwordHash ?? "");
  }

  it("replaces the password and ends the user's other sessions, not the one kept, nor anyone else's", async () => {
    const alice = await createUser("alice", PASSWORD);
    const bob = await createUser("bob", PASSWORD);
    const [here, elsewhere, thief, bobs] = [await signIn(alice), await signIn(alice), await signIn(alice), await signIn(bob)];

    expect(await setPasswordAndSignOut("alice", NEW_PASSWORD, sessionIdFromToken(here))).toBe(2);
    expect(await passwordIs("alice", NEW_PASSWORD)).toBe(true);
    expect(await passwordIs("alice", PASSWORD)).toBe(false);
    expect((await validateSessionToken(here, alice.id)).ok).toBe(true);
    expect(await validateSessionToken(elsewhere, alice.id)).toEqual({ ok: false, reason: "revoked" });
    expect(await validateSessionToken(thief, alice.id)).toEqual({ ok: false, reason: "revoked" });
    expect((await validateSessionToken(bobs, bob.id)).ok).toBe(true);
    expect(await passwordIs("bob", PASSWORD)).toBe(true);
  });

  it("ends every session when none is kept (the operator CLI)", async () => {
    const alice = await createUser("alice", PASSWORD);
    const tokens = [await signIn(alice), await signIn(alice)];
    expect(await setPasswordAndSignOut("alice", NEW_PASSWORD)).toBe(2);
    for (const token of tokens) expect(await validateSessionToken(token, alice.id)).toEqual({ ok: false, reason: "revoked" });
  });

  it("keeps the old password when the sessions cannot be ended: never the new password with a thief still signed in", async () => {
    const alice = await createUser("alice", PASSWORD);
    const thief = await signIn(alice);
    // The database fails between the two writes, as a full disk or an I/O error would.
    const restore = await failWrites("Session", 'UPDATE OF "revokedAt"');
    try {
      await expect(setPasswordAndSignOut("alice", NEW_PASSWORD)).rejects.toSatisfy(isInjectedFailure);
    } finally {
      await restore();
    }
    expect(await passwordIs("alice", PASSWORD)).toBe(true);
    expect(await passwordIs("alice", NEW_PASSWORD)).toBe(false);
    expect((await validateSessionToken(thief, alice.id)).ok).toBe(true);
  });

  it("says so for an unknown user, and changes nothing", async () => {
    await createUser("alice", PASSWORD);
    await expect(setPasswordAndSignOut("nobody", PASSWORD)).rejects.toThrow(UserNotFoundError);
    await expect(setPasswordAndSignOut("nobody", PASSWORD)).rejects.toThrow('No user named "nobody".');
    expect(await passwordIs("alice", PASSWORD)).toBe(true);
  });
});

describe("removeUser", () => {
  it("deletes the user and ends their sessions at once", async () => {
    const alice = await createUser("alice", PASSWORD);
    const token = generateSessionToken();
    await createSession(token, alice, { persistent: true, client: CLIENT });
    expect((await validateSessionToken(token, alice.id)).ok).toBe(true);

    await removeUser("alice");
    expect(await findUserByUsername("alice")).toBeNull();
    expect(await validateSessionToken(token, alice.id)).toEqual({ ok: false, reason: "unknown" });
    expect(await db.session.count()).toBe(0);
  });

  it("says so for an unknown user", async () => {
    await expect(removeUser("nobody")).rejects.toThrow(UserNotFoundError);
  });
});
