import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";

import { db } from "./client";
import { insertUserWithSession, UsernameTakenError } from "./users";
import { clearDatabase } from "../../test/db";

beforeEach(async () => {
  await clearDatabase();
});

const CLIENT = { ip: "203.0.113.7", userAgent: null };

function signUp(username: string) {
  const now = new Date();
  const session = { id: randomBytes(32).toString("hex"), createdAt: now, lastSeenAt: now, authenticatedAt: now, expiresAt: new Date(now.getTime() + 3_600_000), persistent: false, ...CLIENT };
  return insertUserWithSession(username, "not-a-bcrypt-hash", session, [{ type: "sign_up", username, ...CLIENT }]);
}

describe("insertUserWithSession", () => {
  // The unique index decides (P2002, on PostgreSQL once the winner commits),
  // inside the transaction that would also write the session and the event.
  it("10 sign-ups of one name at once make one account with its session; the other 9 are told the name is taken", async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => signUp("alice")));

    const created = results.filter((result) => result.status === "fulfilled");
    const refused = results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const reason of refused) expect(reason).toBeInstanceOf(UsernameTakenError);
    expect(await db.user.count()).toBe(1);
    expect(await db.session.count()).toBe(1);
    expect(await db.securityEvent.count()).toBe(1);
  });
});
