// Passkeys' rows and their challenges, on whichever database the project runs:
// each single-use rule is one conditional write, so racing requests (on one
// instance or several) cannot both win.
import { beforeEach, describe, expect, it } from "vitest";
import { resetToUsers, skipRandomPruning } from "../../test/db";
import { db } from "./client";
import {
  consumeChallenge,
  deletePasskey,
  findPasskey,
  insertPasskey,
  listPasskeyIds,
  listPasskeys,
  recordPasskeyUse,
  saveChallenge,
} from "./passkeys";

const NOW = new Date("2026-12-03T12:00:00Z");
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
let alice: { id: number; username: string };
let bob: { id: number; username: string };

// saveChallenge prunes expired challenges on 1 % of calls, by the real clock.
skipRandomPruning();

beforeEach(async () => {
  ({ alice, bob } = await resetToUsers("alice", "bob"));
});

/** Inserts a passkey of `userId`'s with counter 5; its credential id. */
async function addPasskey(userId: number, id: string, name = "Laptop"): Promise<string> {
  await insertPasskey({ id, userId, name, publicKey: new Uint8Array([1, 2, 3, 255]), counter: 5n, transports: "internal,hybrid" });
  return id;
}

const rowOf = (id: string) => db.passkey.findUnique({ where: { id } });

describe("consumeChallenge", () => {
  it("takes a challenge once: a second use is refused", async () => {
    await saveChallenge("c1", "authentication", null, later(300));
    expect(await consumeChallenge("c1", "authentication", null, NOW)).toBe(true);
    expect(await consumeChallenge("c1", "authentication", null, NOW)).toBe(false);
  });

  it("refuses a challenge at or after its expiry", async () => {
    await saveChallenge("c1", "authentication", null, later(300));
    expect(await consumeChallenge("c1", "authentication", null, later(300))).toBe(false);
    expect(await consumeChallenge("c1", "authentication", null, later(299))).toBe(true);
  });

  it("refuses an unknown challenge", async () => {
    await saveChallenge("c1", "authentication", null, later(300));
    expect(await consumeChallenge("c2", "authentication", null, NOW)).toBe(false);
  });

  it("refuses a registration challenge to another user, and keeps it for its own", async () => {
    await saveChallenge("c1", "registration", alice.id, later(300));
    expect(await consumeChallenge("c1", "registration", bob.id, NOW)).toBe(false);
    expect(await consumeChallenge("c1", "registration", alice.id, NOW)).toBe(true);
  });

  it("refuses a challenge asked for another purpose, either way round", async () => {
    await saveChallenge("sign-in", "authentication", null, later(300));
    await saveChallenge("register", "registration", alice.id, later(300));
    expect(await consumeChallenge("sign-in", "registration", alice.id, NOW)).toBe(false);
    expect(await consumeChallenge("sign-in", "registration", null, NOW)).toBe(false);
    expect(await consumeChallenge("register", "authentication", null, NOW)).toBe(false);
    expect(await consumeChallenge("sign-in", "authentication", null, NOW)).toBe(true);
    expect(await consumeChallenge("register", "registration", alice.id, NOW)).toBe(true);
  });

  it("lets one of ten requests using one challenge at once through", async () => {
    await saveChallenge("c1", "authentication", null, later(300));
    const results = await Promise.all(Array.from({ length: 10 }, () => consumeChallenge("c1", "authentication", null, NOW)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe("passkey rows", () => {
  it("keep the public key's bytes, the counter and the transports exactly, with the owner's name", async () => {
    await addPasskey(alice.id, "cred-a");
    expect(await findPasskey("cred-a")).toEqual(
      expect.objectContaining({ id: "cred-a", userId: alice.id, username: "alice", counter: 5n, transports: "internal,hybrid", lastUsedAt: null }),
    );
    expect([...(await findPasskey("cred-a"))!.publicKey]).toEqual([1, 2, 3, 255]);
    expect(await findPasskey("cred-b")).toBeNull();
  });

  it("are listed newest first, the user's only, with no key material", async () => {
    await addPasskey(alice.id, "old", "Old phone");
    await addPasskey(alice.id, "new", "New phone");
    await addPasskey(bob.id, "bobs");
    await db.passkey.update({ where: { id: "old" }, data: { createdAt: later(-60), lastUsedAt: later(-30) } });
    await db.passkey.update({ where: { id: "new" }, data: { createdAt: NOW } });
    expect(await listPasskeys(alice.id)).toEqual([
      { id: "new", name: "New phone", createdAt: NOW, lastUsedAt: null },
      { id: "old", name: "Old phone", createdAt: later(-60), lastUsedAt: later(-30) },
    ]);
    expect((await listPasskeyIds(alice.id)).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "new", transports: "internal,hybrid" },
      { id: "old", transports: "internal,hybrid" },
    ]);
  });
});

describe("recordPasskeyUse", () => {
  it("moves the counter on and stamps the use when the counter is still the one checked", async () => {
    await addPasskey(alice.id, "cred-a");
    expect(await recordPasskeyUse("cred-a", 5n, 6n, NOW)).toBe(true);
    expect(await rowOf("cred-a")).toEqual(expect.objectContaining({ counter: 6n, lastUsedAt: NOW }));
  });

  it("refuses a stale counter and leaves the row as it was", async () => {
    await addPasskey(alice.id, "cred-a");
    const before = await rowOf("cred-a");
    expect(await recordPasskeyUse("cred-a", 4n, 6n, NOW)).toBe(false);
    expect(await rowOf("cred-a")).toEqual(before);
  });

  it("lets one of ten uses checked against one counter at once through", async () => {
    await addPasskey(alice.id, "cred-a");
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => recordPasskeyUse("cred-a", 5n, BigInt(6 + i), NOW)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe("deletePasskey", () => {
  it("removes the user's own passkey once", async () => {
    await addPasskey(alice.id, "cred-a");
    expect(await deletePasskey(alice.id, "cred-a")).toBe(true);
    expect(await findPasskey("cred-a")).toBeNull();
    expect(await deletePasskey(alice.id, "cred-a")).toBe(false);
  });

  it("refuses another user's passkey, which stays", async () => {
    await addPasskey(alice.id, "cred-a");
    expect(await deletePasskey(bob.id, "cred-a")).toBe(false);
    expect(await findPasskey("cred-a")).toEqual(expect.objectContaining({ userId: alice.id }));
  });
});
