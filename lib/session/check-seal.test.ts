import { sealData } from "iron-session";
import { beforeEach, describe, expect, it } from "vitest";

import { createSession, revokeSession } from "./store";
import { getSessionOptions } from "./seal";
import { checkSessionSeal, generateSessionToken, sessionIdFromToken } from "./store";
import { resetToUsers } from "../../test/db";
import type { PublicUser } from "../auth/accounts";

// checkSessionSeal: what middleware runs on every request. It remembers seals
// that opened (to skip the cryptography next time); these tests pin down that
// remembering a seal never skips the database.

const CLIENT = { ip: "203.0.113.7", userAgent: "test" };
let alice: PublicUser;

beforeEach(async () => {
  ({ alice } = await resetToUsers("alice"));
});

async function sealFor(user: PublicUser, token = generateSessionToken()) {
  await createSession(token, user, { persistent: false, client: CLIENT });
  const { password, ttl = 3600 } = getSessionOptions();
  return { token, seal: await sealData({ sid: token, uid: user.id }, { password, ttl }) };
}

describe("checkSessionSeal", () => {
  it("no cookie: no session, nothing to note", async () => {
    expect(await checkSessionSeal(undefined)).toEqual({ ok: false, rejected: null, claimedUserId: null });
  });

  it("a genuine seal gives the session and user, the first time and when remembered", async () => {
    const { seal, token } = await sealFor(alice);
    for (let attempt = 0; attempt < 2; attempt++) {
      const check = await checkSessionSeal(seal);
      expect(check.ok).toBe(true);
      if (check.ok) {
        expect(check.value.user).toEqual({ id: alice.id, username: "alice" });
        expect(check.value.session.id).toBe(sessionIdFromToken(token));
      }
    }
  });

  it("a remembered seal still dies with its session row: revoked after it was opened", async () => {
    const { seal, token } = await sealFor(alice);
    expect((await checkSessionSeal(seal)).ok).toBe(true);
    await revokeSession(sessionIdFromToken(token));
    expect(await checkSessionSeal(seal)).toEqual({ ok: false, rejected: "revoked", claimedUserId: alice.id });
  });

  it("a tampered copy of a remembered seal is refused as invalid", async () => {
    const { seal } = await sealFor(alice);
    expect((await checkSessionSeal(seal)).ok).toBe(true);
    const position = seal.indexOf("*", 10) + 3;
    const flipped = seal[position] === "A" ? "B" : "A";
    const tampered = seal.slice(0, position) + flipped + seal.slice(position + 1);
    expect(await checkSessionSeal(tampered)).toEqual({ ok: false, rejected: "invalid", claimedUserId: null });
    expect(await checkSessionSeal(seal.slice(0, -5))).toEqual({ ok: false, rejected: "invalid", claimedUserId: null });
  });

  it("a seal under a secret the server does not have is refused", async () => {
    const { token } = await sealFor(alice);
    const foreign = await sealData({ sid: token, uid: alice.id }, { password: "x".repeat(40), ttl: 3600 });
    const check = await checkSessionSeal(foreign);
    expect(check.ok).toBe(false);
  });

  it("a genuine seal whose token has no row is noted as unknown, with the claimed user", async () => {
    const { password, ttl = 3600 } = getSessionOptions();
    const seal = await sealData({ sid: generateSessionToken(), uid: alice.id }, { password, ttl });
    expect(await checkSessionSeal(seal)).toEqual({ ok: false, rejected: "unknown", claimedUserId: alice.id });
  });
});
