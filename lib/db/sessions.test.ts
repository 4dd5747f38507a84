// The session lookup skips Prisma (lib/db/sessions.ts): it must read what
// Prisma wrote exactly as Prisma would, and keep the isolation Prisma's
// queries have (lib/db/sqlite-adapter.ts).
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "./client";
import { findSessionWithUser, insertSession, type SessionRow } from "./sessions";
import { resetToUsers } from "../../test/db";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let row: SessionRow;

beforeEach(async () => {
  const { alice } = await resetToUsers("alice");
  row = {
    id: "a".repeat(64),
    userId: alice.id,
    createdAt: new Date("2026-12-01T10:00:00.123Z"),
    lastSeenAt: new Date("2026-12-01T10:05:00.456Z"),
    authenticatedAt: new Date("2026-12-01T10:00:00.123Z"),
    expiresAt: new Date("2026-12-31T10:00:00.789Z"),
    persistent: true,
    ip: "192.0.2.1",
    userAgent: "test",
  };
});

describe("findSessionWithUser", () => {
  it("reads a session as Prisma reads it: dates to the millisecond, the flag, the revocation, the name", async () => {
    await insertSession(row);
    await db.session.update({ where: { id: row.id }, data: { revokedAt: new Date("2026-12-02T08:00:00.001Z") } });
    const viaPrisma = await db.session.findUnique({
      where: { id: row.id },
      select: { id: true, userId: true, createdAt: true, lastSeenAt: true, expiresAt: true, persistent: true, revokedAt: true, authenticatedAt: true, user: { select: { username: true } } },
    });
    const { user, ...session } = viaPrisma!;
    expect(await findSessionWithUser(row.id)).toEqual({ ...session, username: user.username });
    expect((await findSessionWithUser(row.id))?.revokedAt).toEqual(new Date("2026-12-02T08:00:00.001Z"));
  });

  it("reads the instants Prisma wrote whatever the process's time zone", async () => {
    const zone = process.env.TZ;
    // West of UTC: a date read as local time would be 5 hours late, the session alive 5 hours too long.
    process.env.TZ = "America/New_York";
    try {
      await insertSession(row);
      expect(await findSessionWithUser(row.id)).toMatchObject({ createdAt: row.createdAt, lastSeenAt: row.lastSeenAt, expiresAt: row.expiresAt });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("reads a browser session (not persistent, not revoked), and nothing for an unknown id", async () => {
    await insertSession({ ...row, persistent: false });
    const found = await findSessionWithUser(row.id);
    expect(found).toMatchObject({ persistent: false, revokedAt: null, username: "alice", userId: row.userId });
    expect(typeof found?.userId).toBe("number");
    expect(await findSessionWithUser("b".repeat(64))).toBeNull();
  });

  it("never sees what an open transaction has not committed", async () => {
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const rolledBack = db.$transaction(async (tx) => {
      await insertSession(row, tx);
      opened();
      await sleep(50);
      throw new Error("roll back");
    });
    // Expected before the read: on SQLite the read waits for the transaction to
    // end, and a rejection nothing waits for yet is reported as unhandled.
    const rollsBack = expect(rolledBack).rejects.toThrow("roll back");
    await open;
    const seen = await findSessionWithUser(row.id);
    await rollsBack;
    expect(seen).toBeNull();
  });
});
