import { beforeEach, describe, expect, it } from "vitest";

import { AUDIT_RETENTION_DAYS, listRecentEvents, pruneEvents, recordEvent } from "./audit";
import { db } from "./db/client";
import { columnsOf, rawRows, resetToUsers, skipRandomPruning } from "../test/db";
import type { PublicUser } from "./auth/accounts";

const DAY = 24 * 60 * 60 * 1000;
const CLIENT = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" };

let alice: PublicUser;
let bob: PublicUser;

beforeEach(async () => {
  ({ alice, bob } = await resetToUsers("alice", "bob"));
});

skipRandomPruning();

describe("recordEvent", () => {
  it("stores what happened, to whom and from where", async () => {
    await recordEvent({ type: "sign_in_failed", client: CLIENT, userId: alice.id, username: "alice", detail: "wrong password" });
    const rows = await db.securityEvent.findMany();
    expect(rows).toEqual([
      expect.objectContaining({
        type: "sign_in_failed",
        userId: alice.id,
        username: "alice",
        ip: CLIENT.ip,
        userAgent: CLIENT.userAgent,
        detail: "wrong password",
        createdAt: expect.any(Date),
      }),
    ]);
  });

  it("records failures against unknown accounts by the name typed, with no user", async () => {
    await recordEvent({ type: "sign_in_failed", client: { ip: "198.51.100.1", userAgent: null }, username: "mallory" });
    expect(await db.securityEvent.findFirstOrThrow()).toMatchObject({
      userId: null,
      username: "mallory",
      ip: "198.51.100.1",
      userAgent: null,
      detail: null,
    });
  });

  it("cuts a typed username to 64 characters", async () => {
    await recordEvent({ type: "sign_in_failed", client: CLIENT, username: "x".repeat(300) });
    expect((await db.securityEvent.findFirstOrThrow()).username).toBe("x".repeat(64));
  });

  it("keeps a typed username with a NUL character, the NUL as U+FFFD", async () => {
    await recordEvent({ type: "sign_up_throttled", client: CLIENT, username: "mal\u0000lory" });
    expect((await db.securityEvent.findFirstOrThrow()).username).toBe("mal\uFFFDlory");
  });

  it("has nowhere to keep a password, token or cookie", async () => {
    expect(await columnsOf("SecurityEvent")).toEqual(["id", "type", "userId", "username", "ip", "userAgent", "detail", "createdAt"]);
    // Extra fields (as a careless caller might pass the whole form) are not stored.
    const careless = { type: "sign_in", client: CLIENT, userId: alice.id, username: "alice", password: "hunter2-hunter2" };
    await recordEvent(careless as Parameters<typeof recordEvent>[0]);
    expect(JSON.stringify(await rawRows("SecurityEvent"))).not.toContain("hunter2");
  });
});

describe("listRecentEvents", () => {
  it("returns the user's newest 20 events, newest first, and no one else's", async () => {
    const start = Date.now() - DAY;
    for (let i = 0; i < 25; i++) {
      await db.securityEvent.create({
        data: { type: "sign_in", userId: alice.id, ip: `10.0.0.${i}`, createdAt: new Date(start + i * 1000) },
      });
    }
    await recordEvent({ type: "sign_in", client: CLIENT, userId: bob.id });
    await recordEvent({ type: "sign_in_failed", client: CLIENT, username: "alice" });

    const events = await listRecentEvents(alice.id);
    expect(events).toHaveLength(20);
    expect(events.map((event) => event.ip)).toEqual(Array.from({ length: 20 }, (_, i) => `10.0.0.${24 - i}`));
    expect(await listRecentEvents(bob.id)).toEqual([expect.objectContaining({ type: "sign_in", ip: CLIENT.ip })]);
  });

  it("orders events written in the same millisecond by when they were written", async () => {
    const now = new Date();
    for (const type of ["sign_in", "password_changed", "sign_out"]) {
      await db.securityEvent.create({ data: { type, userId: alice.id, createdAt: now } });
    }
    expect((await listRecentEvents(alice.id)).map((event) => event.type)).toEqual(["sign_out", "password_changed", "sign_in"]);
  });
});

describe("pruneEvents", () => {
  it(`deletes events older than ${AUDIT_RETENTION_DAYS} days and keeps the rest`, async () => {
    const now = new Date("2030-06-01T00:00:00Z");
    const ages = { old: AUDIT_RETENTION_DAYS * DAY + 1000, edge: AUDIT_RETENTION_DAYS * DAY - 1000, fresh: DAY };
    for (const [detail, age] of Object.entries(ages)) {
      await db.securityEvent.create({ data: { type: "sign_in", userId: alice.id, detail, createdAt: new Date(now.getTime() - age) } });
    }
    expect(await pruneEvents(now)).toBe(1);
    const left = (await db.securityEvent.findMany({ orderBy: { id: "asc" } })).map((row) => row.detail);
    expect(left).toEqual(["edge", "fresh"]);
  });
});

describe("removing a user", () => {
  it("keeps their events, without the user id", async () => {
    await recordEvent({ type: "sign_in", client: CLIENT, userId: alice.id, username: "alice" });
    await recordEvent({ type: "sign_in", client: CLIENT, userId: bob.id, username: "bob" });
    await db.user.delete({ where: { id: alice.id } });
    const rows = await db.securityEvent.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((row) => [row.username, row.userId])).toEqual([
      ["alice", null],
      ["bob", bob.id],
    ]);
  });
});
