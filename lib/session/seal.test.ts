import { sealData, unsealData, type UnsealErrorReason } from "iron-session";
import { afterEach, describe, expect, it, vi } from "vitest";

import { readSessionConfig } from "../config";
import { hasSessionShape, type SessionCookieData } from "./seal";

const SECRET = "k".repeat(40);
const NEW_SECRET = "n".repeat(40);
const OTHER_SECRET = "o".repeat(40);
// A real token is 43 base64url characters (lib/session/store.ts generateSessionToken).
const COOKIE: SessionCookieData = { sid: "q3Jc0N6cVb1Wd9xQm2Lr8TfYh4Zs7UaPk5EoGiBnXwA", uid: 7 };
const HOUR = 3600;

/**
 * getSessionOptions() reads the config once per process, so each test gets a
 * fresh copy of the modules with its own environment.
 */
async function sessionOptionsWith(env: Record<string, string>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { getSessionOptions } = await import("./seal");
  return getSessionOptions();
}

const secureOptions = () => sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_COOKIE_SECURE: "true" });

type UnsealOptions = { password: string | Record<string, string>; ttl?: number };

async function unseal(seal: string, options: UnsealOptions) {
  return unsealData<Partial<SessionCookieData>>(seal, options);
}

/** The unsealed data and why unsealing failed (null when it did not). */
async function unsealWithReason(seal: string, options: UnsealOptions) {
  let reason: UnsealErrorReason | null = null;
  const data = await unsealData<Partial<SessionCookieData>>(seal, {
    ...options,
    onUnsealError: (why) => {
      reason = why;
    },
  });
  return { data, reason };
}

/** Changes one character of the seal's `index`-th `*`-separated part. */
function tamper(seal: string, index: number): string {
  const parts = seal.split("*");
  const part = parts[index] ?? "";
  const middle = Math.floor(part.length / 2);
  const swapped = part[middle] === "A" ? "B" : "A";
  parts[index] = part.slice(0, middle) + swapped + part.slice(middle + 1);
  return parts.join("*");
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe("getSessionOptions", () => {
  it("uses a __Host- cookie when Secure, so subdomains cannot plant or overwrite it", async () => {
    const options = await secureOptions();
    expect(options.cookieName).toBe("__Host-keycard_session");
    // The browser only honours __Host- with Secure, Path=/ and no Domain.
    expect(options.cookieOptions).toMatchObject({ secure: true, path: "/", httpOnly: true, sameSite: "lax" });
    expect(options.cookieOptions).not.toHaveProperty("domain");
  });

  it("drops the __Host- prefix without Secure (a browser would refuse the cookie)", async () => {
    const options = await sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_COOKIE_SECURE: "false" });
    expect(options.cookieName).toBe("keycard_session");
    expect(options.cookieOptions).toMatchObject({ secure: false, path: "/", httpOnly: true, sameSite: "lax" });
  });

  it("seals with every configured secret and the longest session lifetime", async () => {
    const options = await sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_SECRET_2: NEW_SECRET, SESSION_TTL_SECONDS: "3600" });
    expect(options.password).toEqual({ 1: SECRET, 2: NEW_SECRET });
    expect(options.ttl).toBe(3600);
  });
});

describe("sealed cookies", () => {
  it("round-trip through sealData/unsealData with the session options, hiding what they hold", async () => {
    const options = await secureOptions();
    const seal = await sealData(COOKIE, options);
    expect(seal).not.toContain(COOKIE.sid);
    const data = await unseal(seal, options);
    expect(data).toEqual(COOKIE);
    expect(hasSessionShape(data)).toBe(true);
  });

  it("treat a forged or damaged cookie as no session, without throwing", async () => {
    const options = await secureOptions();
    const seal = await sealData(COOKIE, options);
    const sealedElsewhere = await sealData(COOKIE, { password: OTHER_SECRET, ttl: 3600 });
    const farFuture = String(Date.now() + 10 * 365 * 24 * 3600 * 1000);
    const extended = seal.split("*").map((part, index) => (index === 5 ? farFuture : part)).join("*");

    const bad = {
      "flipped encrypted char": tamper(seal, 4),
      "flipped hmac char": tamper(seal, 7),
      "extended expiry": extended,
      truncated: seal.slice(0, Math.floor(seal.length / 2)),
      "missing last char": seal.replace(/.~2$/, "~2"),
      garbage: "not-a-seal",
      "garbage with iron prefix": "Fe26.2*1*a*b*c*d*e*f~2",
      empty: "",
      "another secret": sealedElsewhere,
    };
    for (const [label, candidate] of Object.entries(bad)) {
      expect(candidate, label).not.toBe(seal);
      const data = await unseal(candidate, options);
      expect(data, label).toEqual({});
      expect(hasSessionShape(data), label).toBe(false);
    }
  });

  it("expire after the ttl (plus iron's 60 s clock-skew allowance)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = new Date("2030-01-01T00:00:00Z").getTime();
    vi.setSystemTime(start);
    const options = await sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_TTL_SECONDS: "300" });
    const seal = await sealData(COOKIE, options);

    vi.setSystemTime(start + 299_000);
    expect(await unseal(seal, options)).toEqual(COOKIE);

    vi.setSystemTime(start + 300_000 + 60_000 + 1000);
    const { data, reason } = await unsealWithReason(seal, options);
    expect(data).toEqual({});
    expect(reason).toBe("expired");
    expect(hasSessionShape(data)).toBe(false);
  });
});

describe("rotating the secret", () => {
  const before = readSessionConfig({ NODE_ENV: "production", SESSION_SECRET: SECRET }).secrets;
  const during = readSessionConfig({ NODE_ENV: "production", SESSION_SECRET: SECRET, SESSION_SECRET_2: NEW_SECRET }).secrets;
  const after = readSessionConfig({ NODE_ENV: "production", SESSION_SECRET_2: NEW_SECRET }).secrets;

  it("keeps cookies sealed under the old secret valid once a newer one is added", async () => {
    const oldCookie = await sealData(COOKIE, { password: before, ttl: HOUR });
    expect(await unsealWithReason(oldCookie, { password: during, ttl: HOUR })).toEqual({ data: COOKIE, reason: null });
  });

  it("seals new cookies with the newest secret", async () => {
    const newCookie = await sealData(COOKIE, { password: during, ttl: HOUR });
    expect(await unseal(newCookie, { password: { 2: NEW_SECRET }, ttl: HOUR })).toEqual(COOKIE);
    expect(await unsealWithReason(newCookie, { password: before, ttl: HOUR })).toEqual({ data: {}, reason: "unknown-password" });
    expect(await unseal(newCookie, { password: after, ttl: HOUR })).toEqual(COOKIE);
  });

  it("rejects cookies sealed under the old secret once it is removed, saying why", async () => {
    const oldCookie = await sealData(COOKIE, { password: before, ttl: HOUR });
    const { data, reason } = await unsealWithReason(oldCookie, { password: after, ttl: HOUR });
    expect(data).toEqual({});
    expect(reason).toBe("unknown-password");
    expect(hasSessionShape(data)).toBe(false);
  });

  it("does not accept a secret swapped in under the old number", async () => {
    const oldCookie = await sealData(COOKIE, { password: before, ttl: HOUR });
    const { data, reason } = await unsealWithReason(oldCookie, { password: { 1: OTHER_SECRET }, ttl: HOUR });
    expect(data).toEqual({});
    expect(reason).toBe("invalid");
  });
});

describe("hasSessionShape", () => {
  it("accepts a token and a user id", () => {
    expect(hasSessionShape(COOKIE)).toBe(true);
    expect(hasSessionShape({ sid: "a".repeat(22), uid: 1 })).toBe(true);
  });

  it.each([
    ["empty", {}],
    ["short token", { sid: "a".repeat(21), uid: 7 }],
    ["empty token", { sid: "", uid: 7 }],
    ["non-string token", { sid: 12345, uid: 7 }],
    ["missing token", { uid: 7 }],
    ["string id", { sid: COOKIE.sid, uid: "7" }],
    ["fractional id", { sid: COOKIE.sid, uid: 7.5 }],
    ["NaN id", { sid: COOKIE.sid, uid: Number.NaN }],
    ["unsafe id", { sid: COOKIE.sid, uid: 2 ** 53 }],
    ["missing id", { sid: COOKIE.sid }],
    ["the old cookie's shape", { userId: 7, username: "alice" }],
  ])("rejects %s", (_label, data) => {
    expect(hasSessionShape(data as Partial<SessionCookieData>)).toBe(false);
  });
});
