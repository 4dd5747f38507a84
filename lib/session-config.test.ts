import { sealData, unsealData } from "iron-session";
import { afterEach, describe, expect, it, vi } from "vitest";

import { isSignedIn, type SessionData } from "./session-config";

const SECRET = "k".repeat(40);
const OTHER_SECRET = "o".repeat(40);
const ALICE: SessionData = { userId: 7, username: "alice" };

/**
 * getSessionOptions() reads the config once per process, so each test gets a
 * fresh copy of the modules with its own environment.
 */
async function sessionOptionsWith(env: Record<string, string>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { getSessionOptions } = await import("./session-config");
  return getSessionOptions();
}

const secureOptions = () => sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_COOKIE_SECURE: "true" });

async function unseal(seal: string, options: { password: string | Record<string, string>; ttl?: number }) {
  return unsealData<Partial<SessionData>>(seal, options);
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

  it("seals with the configured secret and lifetime", async () => {
    const options = await sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_TTL_SECONDS: "3600" });
    expect(options.password).toBe(SECRET);
    expect(options.ttl).toBe(3600);
  });
});

describe("sealed sessions", () => {
  it("round-trip through sealData/unsealData with the session options", async () => {
    const options = await secureOptions();
    const seal = await sealData(ALICE, options);
    expect(seal).not.toContain("alice");
    const data = await unseal(seal, options);
    expect(data).toEqual(ALICE);
    expect(isSignedIn(data)).toBe(true);
  });

  it("treat a forged or damaged cookie as no session, without throwing", async () => {
    const options = await secureOptions();
    const seal = await sealData(ALICE, options);
    const sealedElsewhere = await sealData(ALICE, { password: OTHER_SECRET, ttl: 3600 });
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
      expect(isSignedIn(data), label).toBe(false);
    }
  });

  it("expire after the ttl (plus iron's 60 s clock-skew allowance)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = new Date("2030-01-01T00:00:00Z").getTime();
    vi.setSystemTime(start);
    const options = await sessionOptionsWith({ SESSION_SECRET: SECRET, SESSION_TTL_SECONDS: "300" });
    const seal = await sealData(ALICE, options);

    vi.setSystemTime(start + 299_000);
    expect(await unseal(seal, options)).toEqual(ALICE);

    vi.setSystemTime(start + 300_000 + 60_000 + 1000);
    const data = await unseal(seal, options);
    expect(data).toEqual({});
    expect(isSignedIn(data)).toBe(false);
  });
});

describe("isSignedIn", () => {
  it("accepts a well-formed user", () => {
    expect(isSignedIn(ALICE)).toBe(true);
  });

  it.each([
    ["empty", {}],
    ["string id", { userId: "7", username: "alice" }],
    ["fractional id", { userId: 7.5, username: "alice" }],
    ["NaN id", { userId: Number.NaN, username: "alice" }],
    ["unsafe id", { userId: 2 ** 53, username: "alice" }],
    ["missing username", { userId: 7 }],
    ["non-string username", { userId: 7, username: 7 }],
    ["missing id", { username: "alice" }],
  ])("rejects %s", (_label, data) => {
    expect(isSignedIn(data as Partial<SessionData>)).toBe(false);
  });
});
