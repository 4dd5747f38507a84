import { beforeEach, describe, expect, it } from "vitest";

import { db } from "../db/client";
import { getSessionConfig } from "../config";
import {
  createSession,
  listActiveSessions,
  MAX_SESSIONS_PER_USER,
  pruneSessions,
  revokeSession,
  revokeUserSession,
  revokeUserSessions,
} from "./store";
import {
  generateSessionToken,
  isRecentSignIn,
  LAST_SEEN_RESOLUTION_MS,
  sessionIdFromToken,
  sessionState,
  validateSessionToken,
} from "./store";
import { rawRows, resetToUsers } from "../../test/db";
import type { PublicUser } from "../auth/accounts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = new Date("2030-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

const CLIENT = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36" };
// The limits these tests rely on: the defaults (lib/config.ts).
const LIMITS = {
  browser: { lifetimeSeconds: 12 * 3600, idleSeconds: 3600 },
  persistent: { lifetimeSeconds: 7 * 86400, idleSeconds: 3 * 86400 },
};

let alice: PublicUser;
let bob: PublicUser;

beforeEach(async () => {
  ({ alice, bob } = await resetToUsers("alice", "bob"));
});

/** A fresh token and its session for `user`, started at `now`. */
async function signIn(user: PublicUser, persistent = false, now = T0) {
  const token = generateSessionToken();
  const session = await createSession(token, user, { persistent, client: CLIENT }, now);
  return { token, session };
}

describe("session tokens", () => {
  it("are at least 128 random bits of base64url, different every time", () => {
    const tokens = Array.from({ length: 1000 }, generateSessionToken);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, "base64url").length * 8).toBeGreaterThanOrEqual(128);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it("are stored only as their SHA-256, so a copy of the database holds no usable token", async () => {
    const { token, session } = await signIn(alice);
    expect(sessionIdFromToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(sessionIdFromToken(token)).toBe(sessionIdFromToken(token));
    expect(sessionIdFromToken(token)).not.toBe(sessionIdFromToken(generateSessionToken()));
    expect(session.id).toBe(sessionIdFromToken(token));

    const rows = await rawRows("Session");
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe("sessionState", () => {
  const browser = { lastSeenAt: T0, expiresAt: at(12 * HOUR), persistent: false, revokedAt: null };
  const persistent = { lastSeenAt: T0, expiresAt: at(7 * DAY), persistent: true, revokedAt: null };

  it("is active while used within its idle timeout", () => {
    expect(sessionState(browser, T0, LIMITS)).toBe("active");
    expect(sessionState(browser, at(HOUR - SECOND), LIMITS)).toBe("active");
    expect(sessionState(persistent, at(3 * DAY - SECOND), LIMITS)).toBe("active");
  });

  it("goes idle after an hour for a browser session but three days for a persistent one", () => {
    expect(sessionState(browser, at(HOUR), LIMITS)).toBe("idle");
    expect(sessionState(persistent, at(HOUR), LIMITS)).toBe("active");
    expect(sessionState(persistent, at(3 * DAY), LIMITS)).toBe("idle");
  });

  it("expires at its absolute end even when it was just used", () => {
    expect(sessionState({ ...browser, lastSeenAt: at(12 * HOUR - SECOND) }, at(12 * HOUR), LIMITS)).toBe("expired");
    expect(sessionState({ ...persistent, lastSeenAt: at(7 * DAY - SECOND) }, at(7 * DAY), LIMITS)).toBe("expired");
  });

  it("is revoked once revoked, whatever the clock says", () => {
    expect(sessionState({ ...browser, revokedAt: T0 }, T0, LIMITS)).toBe("revoked");
    expect(sessionState({ ...browser, revokedAt: T0 }, at(13 * HOUR), LIMITS)).toBe("revoked");
  });

  it("uses the configured limits by default", () => {
    expect(getSessionConfig()).toMatchObject(LIMITS);
    expect(sessionState(browser, at(HOUR), undefined)).toBe("idle");
  });
});

describe("createSession", () => {
  it("ends a browser session after 12 hours and a persistent one after 7 days", async () => {
    const short = await signIn(alice, false);
    const long = await signIn(alice, true);
    expect(short.session.expiresAt).toEqual(at(12 * HOUR));
    expect(long.session.expiresAt).toEqual(at(7 * DAY));
    expect(long.session).toMatchObject({ userId: alice.id, persistent: true, createdAt: T0, lastSeenAt: T0, revokedAt: null });
    const row = await db.session.findUniqueOrThrow({ where: { id: long.session.id } });
    expect(row).toMatchObject({ ip: CLIENT.ip, userAgent: CLIENT.userAgent });
  });
});

describe("isRecentSignIn", () => {
  it("holds for 10 minutes after the sign-in that began the session, and not a millisecond longer", async () => {
    const { token, session } = await signIn(alice);
    const checked = await validateSessionToken(token, alice.id, at(MINUTE));
    expect(checked.ok && checked.value.session.authenticatedAt).toEqual(T0);
    expect(isRecentSignIn(session, T0)).toBe(true);
    expect(isRecentSignIn(session, at(10 * MINUTE - 1))).toBe(true);
    expect(isRecentSignIn(session, at(10 * MINUTE))).toBe(false);
  });
});

describe("createSession past the per-user limit", () => {
  it("keeps at most 50 sessions per user: the least recently used goes, the audit log says so, others are untouched", async () => {
    expect(MAX_SESSIONS_PER_USER).toBe(50);
    const first = await signIn(alice, false, T0);
    const bobs = await signIn(bob, false, T0);
    const rest = [];
    for (let i = 1; i < 50; i++) rest.push(await signIn(alice, false, at(i * SECOND)));
    // The first session is in use again: now the second is the least recently used.
    expect((await validateSessionToken(first.token, alice.id, at(2 * MINUTE))).ok).toBe(true);
    expect(await db.securityEvent.count({ where: { type: "session_evicted" } })).toBe(0);

    await signIn(alice, false, at(3 * MINUTE));

    expect((await validateSessionToken(rest[0]!.token, alice.id, at(3 * MINUTE))).ok).toBe(false);
    expect((await validateSessionToken(first.token, alice.id, at(3 * MINUTE))).ok).toBe(true);
    expect((await validateSessionToken(rest[1]!.token, alice.id, at(3 * MINUTE))).ok).toBe(true);
    expect((await validateSessionToken(bobs.token, bob.id, at(3 * MINUTE))).ok).toBe(true);
    expect(await listActiveSessions(alice.id, at(3 * MINUTE))).toHaveLength(50);
    const evicted = await db.securityEvent.findMany({ where: { type: "session_evicted" } });
    expect(evicted).toEqual([expect.objectContaining({ userId: alice.id, ip: CLIENT.ip, detail: "1 session(s)" })]);
  });

  it("does not count sessions already revoked or expired", async () => {
    for (let i = 0; i < 50; i++) {
      const { session } = await signIn(alice, false, at(i * SECOND));
      if (i % 2 === 0) await revokeSession(session.id, at(i * SECOND));
    }
    await signIn(alice, false, at(MINUTE));
    expect(await db.securityEvent.count({ where: { type: "session_evicted" } })).toBe(0);
  });
});

describe("validateSessionToken", () => {
  it("returns the session and its user for the token it was issued with", async () => {
    const { token, session } = await signIn(alice);
    const result = await validateSessionToken(token, alice.id, at(MINUTE / 2));
    expect(result).toMatchObject({ ok: true, value: { user: alice, session: { id: session.id, userId: alice.id } } });
  });

  it("treats an unknown token, or a token presented for another user id, as unknown", async () => {
    const { token } = await signIn(alice);
    expect(await validateSessionToken(generateSessionToken(), alice.id, T0)).toEqual({ ok: false, reason: "unknown" });
    expect(await validateSessionToken(token, bob.id, T0)).toEqual({ ok: false, reason: "unknown" });
    // The hash itself (as a database leak would give it) is not a token.
    expect(await validateSessionToken(sessionIdFromToken(token), alice.id, T0)).toEqual({ ok: false, reason: "unknown" });
  });

  it("refuses a revoked session", async () => {
    const { token, session } = await signIn(alice);
    await revokeSession(session.id, at(SECOND));
    expect(await validateSessionToken(token, alice.id, at(2 * SECOND))).toEqual({ ok: false, reason: "revoked" });
  });

  it("refuses an expired session even when it was in use all along", async () => {
    const { token } = await signIn(alice, true);
    for (let now = 0; now < 7 * DAY; now += DAY) {
      expect((await validateSessionToken(token, alice.id, at(now))).ok).toBe(true);
    }
    expect(await validateSessionToken(token, alice.id, at(7 * DAY))).toEqual({ ok: false, reason: "expired" });
  });

  it("writes last-seen at most once a minute", async () => {
    const { token, session } = await signIn(alice);
    const lastSeen = async () => (await db.session.findUniqueOrThrow({ where: { id: session.id } })).lastSeenAt;

    await validateSessionToken(token, alice.id, at(10 * SECOND));
    await validateSessionToken(token, alice.id, at(LAST_SEEN_RESOLUTION_MS - SECOND));
    expect(await lastSeen()).toEqual(T0);

    const result = await validateSessionToken(token, alice.id, at(61 * SECOND));
    expect(await lastSeen()).toEqual(at(61 * SECOND));
    expect(result.ok && result.value.session.lastSeenAt).toEqual(at(61 * SECOND));
  });

  it("keeps an active browser session alive, then ends it an hour after its last use", async () => {
    const { token } = await signIn(alice);
    // Used every 50 minutes for 5 hours: never idle for an hour.
    for (let now = 50 * MINUTE; now <= 5 * HOUR; now += 50 * MINUTE) {
      expect((await validateSessionToken(token, alice.id, at(now))).ok).toBe(true);
    }
    const lastUse = 5 * HOUR;
    expect((await validateSessionToken(token, alice.id, at(lastUse + HOUR - SECOND))).ok).toBe(true);
    // That request refreshed last-seen; an hour after it with nothing in between, the session is gone.
    const lastRequest = lastUse + HOUR - SECOND;
    expect(await validateSessionToken(token, alice.id, at(lastRequest + HOUR))).toEqual({ ok: false, reason: "idle" });
    // And it stays gone: a refused request does not refresh last-seen.
    expect(await validateSessionToken(token, alice.id, at(lastRequest + HOUR + SECOND))).toEqual({ ok: false, reason: "idle" });
  });

  it("lets a persistent session sit unused for longer than a browser session may", async () => {
    const browser = await signIn(alice, false);
    const persistent = await signIn(alice, true);
    expect(await validateSessionToken(browser.token, alice.id, at(2 * HOUR))).toEqual({ ok: false, reason: "idle" });
    expect((await validateSessionToken(persistent.token, alice.id, at(2 * DAY))).ok).toBe(true);
    expect(await validateSessionToken(persistent.token, alice.id, at(5 * DAY))).toEqual({ ok: false, reason: "idle" });
  });
});

describe("revoking", () => {
  it("revokeUserSessions signs the user out everywhere except the session given, and no one else", async () => {
    const here = await signIn(alice);
    const laptop = await signIn(alice);
    const phone = await signIn(alice, true);
    const bobs = await signIn(bob);

    expect(await revokeUserSessions(alice.id, here.session.id, at(SECOND))).toBe(2);

    const now = at(2 * SECOND);
    expect((await validateSessionToken(here.token, alice.id, now)).ok).toBe(true);
    expect(await validateSessionToken(laptop.token, alice.id, now)).toEqual({ ok: false, reason: "revoked" });
    expect(await validateSessionToken(phone.token, alice.id, now)).toEqual({ ok: false, reason: "revoked" });
    expect((await validateSessionToken(bobs.token, bob.id, now)).ok).toBe(true);
  });

  it("revokeUserSessions without an exception signs the user out everywhere", async () => {
    const one = await signIn(alice);
    const two = await signIn(alice);
    expect(await revokeUserSessions(alice.id, undefined, at(SECOND))).toBe(2);
    for (const { token } of [one, two]) {
      expect(await validateSessionToken(token, alice.id, at(2 * SECOND))).toEqual({ ok: false, reason: "revoked" });
    }
  });

  it("revokeUserSession ends one of the user's own sessions, and refuses another user's", async () => {
    const mine = await signIn(alice);
    const bobs = await signIn(bob);

    expect(await revokeUserSession(alice.id, bobs.session.id, at(SECOND))).toBe(false);
    expect((await validateSessionToken(bobs.token, bob.id, at(2 * SECOND))).ok).toBe(true);

    expect(await revokeUserSession(alice.id, mine.session.id, at(SECOND))).toBe(true);
    expect(await validateSessionToken(mine.token, alice.id, at(2 * SECOND))).toEqual({ ok: false, reason: "revoked" });
    // Already gone: nothing more to revoke.
    expect(await revokeUserSession(alice.id, mine.session.id, at(3 * SECOND))).toBe(false);
  });
});

describe("listActiveSessions", () => {
  it("lists only the user's sessions that still count, most recently used first", async () => {
    const older = await signIn(alice, true, T0);
    const newer = await signIn(alice, true, at(HOUR));
    const revoked = await signIn(alice, true, T0);
    await revokeSession(revoked.session.id, at(HOUR));
    await signIn(alice, false, T0); // idle by the time we look
    await signIn(alice, true, at(-7 * DAY)); // expired
    await signIn(bob, true, T0);

    const listed = await listActiveSessions(alice.id, at(2 * HOUR));
    expect(listed.map((session) => session.id)).toEqual([newer.session.id, older.session.id]);
    expect(listed[0]).toMatchObject({ ip: CLIENT.ip, userAgent: CLIENT.userAgent, persistent: true });
  });
});

describe("removing a user", () => {
  it("deletes their sessions with them (SQLite foreign keys are enforced through the adapter)", async () => {
    const { token } = await signIn(alice);
    await signIn(bob);
    await db.user.delete({ where: { id: alice.id } });
    expect(await db.session.count({ where: { userId: alice.id } })).toBe(0);
    expect(await db.session.count({ where: { userId: bob.id } })).toBe(1);
    expect(await validateSessionToken(token, alice.id, T0)).toEqual({ ok: false, reason: "unknown" });
  });
});

describe("pruneSessions", () => {
  it("deletes expired sessions and sessions revoked over a day ago, and keeps the rest", async () => {
    const expired = await signIn(alice, false, at(-13 * HOUR));
    const revokedLongAgo = await signIn(alice, true, at(-3 * DAY));
    await revokeSession(revokedLongAgo.session.id, at(-2 * DAY));
    const revokedRecently = await signIn(alice, true, at(-HOUR));
    await revokeSession(revokedRecently.session.id, at(-MINUTE));
    const idle = await signIn(alice, false, at(-2 * HOUR));
    const active = await signIn(alice, true, T0);

    expect(await pruneSessions(T0)).toBe(2);
    const left = (await db.session.findMany({ select: { id: true } })).map((row) => row.id).sort();
    expect(left).toEqual([revokedRecently.session.id, idle.session.id, active.session.id].sort());
    expect(left).not.toContain(expired.session.id);
  });
});
