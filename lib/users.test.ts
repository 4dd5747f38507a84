import { beforeEach, describe, expect, it } from "vitest";

import { db } from "./db";
import { verifyPassword } from "./password";
import { createSession } from "./session";
import { generateSessionToken, validateSessionToken } from "./session-lookup";
import { clearDatabase, rawRows } from "./test-db";
import {
  createUser,
  findUserByUsername,
  findUserWithHash,
  listUsers,
  removeUser,
  setPassword,
  UsernameTakenError,
  UserNotFoundError,
} from "./users";

const PASSWORD = "correct horse battery staple";
const CLIENT = { ip: "203.0.113.7", userAgent: null };

beforeEach(async () => {
  await clearDatabase();
});

describe("createUser", () => {
  it("stores a bcrypt hash, never the password, and returns only public fields", async () => {
    const alice = await createUser("alice", PASSWORD);
    expect(alice).toEqual({ id: expect.any(Number), username: "alice" });
    expect(JSON.stringify(rawRows("User"))).not.toContain(PASSWORD);
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

describe("setPassword", () => {
  it("replaces the password", async () => {
    await createUser("alice", PASSWORD);
    await setPassword("alice", "a brand new passphrase");
    const hash = (await findUserWithHash("alice"))?.passwordHash ?? "";
    expect(await verifyPassword("a brand new passphrase", hash)).toBe(true);
    expect(await verifyPassword(PASSWORD, hash)).toBe(false);
  });

  it("says so for an unknown user", async () => {
    await expect(setPassword("nobody", PASSWORD)).rejects.toThrow(UserNotFoundError);
    await expect(setPassword("nobody", PASSWORD)).rejects.toThrow('No user named "nobody".');
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
