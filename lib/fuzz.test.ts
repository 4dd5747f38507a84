// Property-based fuzzing of the lib code that takes input from anyone: fast-check
// generates the inputs, each property says what must hold for every one of them.
// Case count and seed: test/fuzz.ts (FUZZ_RUNS, FUZZ_SEED). The HTTP-level
// counterpart is e2e/fuzz.spec.ts.
import fc from "fast-check";
import { sealData, unsealData } from "iron-session";
import { describe, expect, it } from "vitest";

import { clientIpFrom, parseIp, throttleNetwork } from "./http/client-address";
import { isCrossSiteRequest } from "./http/origin";
import { isPasswordTooLong } from "./auth/password";
import { MAX_BODY_BYTES, readBody, type BodyResult } from "./http/body";
import { DEFAULT_AFTER_LOGIN, safeNextPath } from "./http/safe-next";
import { hasSessionShape, type SessionCookieData } from "./session/seal";
import { anyText, assembled, fuzzParameters, fuzzSettings, headerText } from "../test/fuzz";
import {
  checkPasswordChange,
  checkSignup,
  checkUsername,
  credentialsSchema,
  firstIssue,
  formString,
  normalizeUsername,
} from "./auth/validation";

const RUNS = 300;
const settings = () => fuzzParameters(RUNS);


describe("safeNextPath", () => {
  // What open redirects are made of: slashes and their look-alikes, dot segments,
  // encodings, characters browsers strip, schemes and hosts.
  const REDIRECT_PIECES = [
    "/", "//", "\\", "/\\", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%09", "%00", "\t", "\n", "\r", " ",
    "\u3000", "\uff0f", "\u2215", "\ufe68", "@", ":", "?", "#", "&", "=", "evil.example", "https:", "http:",
    "javascript:", "data:", "localhost", "127.0.0.1", "[::1]", ";", "~",
  ];
  // The shape of most open-redirect payloads: slashes, a dot segment, slashes, a host.
  const shaped = fc
    .tuple(
      fc.constantFrom("/", "//", "/\\", "\\", "/\t/", ""),
      fc.constantFrom("", ".", "..", "%2e", "%2E%2e", "./", "../"),
      fc.constantFrom("/", "//", "\\", "/\n/", ""),
      fc.constantFrom("evil.example", "@evil.example", "evil.example:443", ""),
      assembled(REDIRECT_PIECES, 3),
    )
    .map((parts) => parts.join(""));
  const anyNext = fc.oneof(shaped, assembled(REDIRECT_PIECES).map((rest) => `/${rest}`), assembled(REDIRECT_PIECES), anyText);
  const SITES = ["https://example.test", "http://localhost:3100"];

  it("always answers a path on this site that a Location header can carry", () => {
    fc.assert(
      fc.property(anyNext, (raw) => {
        const output = safeNextPath(raw);
        expect(output.startsWith("/")).toBe(true);
        // Protocol-relative ("//host"), or "/\host", which browsers read as "//host".
        expect(output).not.toMatch(/^\/[/\\]/);
        // Printable ASCII without spaces: nothing a browser strips or a header refuses.
        expect(output).toMatch(/^[\x21-\x7e]+$/);
        for (const site of SITES) expect(new URL(output, site).origin).toBe(site);
      }),
      settings(),
    );
  });

  it("gives its own answer back unchanged (the login form round-trips it in a hidden field)", () => {
    fc.assert(
      fc.property(anyNext, (raw) => {
        const once = safeNextPath(raw);
        expect(safeNextPath(once)).toBe(once);
      }),
      settings(),
    );
  });

  it("keeps every plain local path as it is", () => {
    const segment = fc
      .string({ unit: fc.constantFrom(..."abcXYZ019-._~"), minLength: 1, maxLength: 8 })
      .filter((text) => text !== "." && text !== "..");
    const query = fc.string({ unit: fc.constantFrom(..."abz09=&-_"), maxLength: 12 }).map((text) => (text ? `?${text}` : ""));
    const path = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), query).map(([parts, search]) => `/${parts.join("/")}${search}`);
    fc.assert(
      fc.property(path, (raw) => {
        expect(safeNextPath(raw)).toBe(raw);
      }),
      settings(),
    );
  });

  it("answers the dashboard for anything that is not a string", () => {
    fc.assert(
      fc.property(fc.anything().filter((value) => typeof value !== "string"), (raw) => {
        expect(safeNextPath(raw)).toBe(DEFAULT_AFTER_LOGIN);
      }),
      settings(),
    );
  });
});

describe("normalizeUsername", () => {
  // Latin capitals before combining marks: some lower-case into a pair that NFKC
  // composes (H + U+0331 becomes "h" + U+0331, which composes to U+1E96 "ẖ").
  const CAPITALS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ", "\u0130", "\u03a3", "\u1e9e", "\u212a", "\u2126"];
  const MARKS = Array.from({ length: 0x70 }, (_, index) => String.fromCodePoint(0x300 + index));
  const nameLike = assembled([...CAPITALS, ...MARKS, " ", "\u3000", "\t"]);

  it("is idempotent: a stored name normalises to itself", () => {
    // Every capital-and-mark pair, then random text.
    for (const capital of CAPITALS) {
      for (const mark of MARKS) {
        const once = normalizeUsername(capital + mark);
        expect(normalizeUsername(once), JSON.stringify(capital + mark)).toBe(once);
      }
    }
    fc.assert(
      fc.property(fc.oneof(nameLike, anyText), (raw) => {
        const once = normalizeUsername(raw);
        expect(normalizeUsername(once)).toBe(once);
      }),
      settings(),
    );
  });

  const validName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{2,31}$/);

  it('makes "Alice", " alice" and "ａｌｉｃｅ" one account, for any valid name', () => {
    const SPACES = [" ", "\t", "\u3000", "\u00a0", "\n"];
    const variant = fc.tuple(
      validName,
      fc.array(fc.constantFrom("lower", "upper", "fullwidth"), { minLength: 32, maxLength: 32 }),
      fc.array(fc.constantFrom(...SPACES), { maxLength: 3 }),
      fc.array(fc.constantFrom(...SPACES), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(variant, ([name, styles, before, after]) => {
        const styled = [...name]
          .map((character, index) => {
            const style = styles[index];
            if (style === "upper") return character.toUpperCase();
            // U+FF01..U+FF5E are the fullwidth forms of "!".."~".
            if (style === "fullwidth") return String.fromCharCode(character.charCodeAt(0) + 0xfee0);
            return character;
          })
          .join("");
        expect(normalizeUsername(before.join("") + styled + after.join(""))).toBe(name);
      }),
      settings(),
    );
  });

  it("lets through only plain ASCII names, whatever was typed", () => {
    const typed = fc.oneof(assembled([..."abcXYZ019._-", "ａ", "Ａ", "１", "\u212a", "\u0131", "\u017f", "é", "ß"]), anyText);
    fc.assert(
      fc.property(typed, (raw) => {
        const username = normalizeUsername(raw);
        if (checkUsername(username) === null) expect(username).toMatch(/^[a-z0-9][a-z0-9._-]{2,31}$/);
      }),
      settings(),
    );
  });
});

describe("credentialsSchema", () => {
  const field = fc.oneof(anyText, fc.anything());

  it("never throws; accepts only a normalised, non-empty username and a password bcrypt can take whole", () => {
    const input = fc.oneof(fc.anything(), fc.record({ username: field, password: field, remember: fc.anything() }, { requiredKeys: [] }));
    fc.assert(
      fc.property(input, (value) => {
        const result = credentialsSchema.safeParse(value);
        if (!result.success) {
          const message = firstIssue(result.error);
          // One short sentence for a person or an API client.
          expect(message).toMatch(/^\S.{0,118}\.$/);
          return;
        }
        const { username, password } = result.data;
        expect(username).not.toBe("");
        expect(normalizeUsername(username)).toBe(username);
        expect(password).not.toBe("");
        expect(isPasswordTooLong(password)).toBe(false);
      }),
      settings(),
    );
  });

  it("accepts every pair of strings within the limits", () => {
    fc.assert(
      fc.property(anyText, anyText, (username, password) => {
        // No username holds a NUL, and PostgreSQL's text cannot: refused before any query.
        const acceptable =
          username.length <= 256 &&
          !username.includes("\0") &&
          normalizeUsername(username) !== "" &&
          password !== "" &&
          !isPasswordTooLong(password);
        expect(credentialsSchema.safeParse({ username, password }).success).toBe(acceptable);
      }),
      settings(),
    );
  });
});

describe("checkSignup and checkPasswordChange", () => {
  const passphrase = fc.array(fc.constantFrom("vellum", "otter", "quasar", "lantern", "fjord", "mosaic", "Ünïcødé", "🦦"), {
    minLength: 1,
    maxLength: 8,
  });
  const password = fc.oneof(anyText, passphrase.map((words) => words.join(" ")));
  const username = fc.oneof(anyText, fc.stringMatching(/^[A-Za-z0-9][a-z0-9._-]{1,40}$/));
  // Most cases reach the password strength estimate, by far the slowest check here.
  const timeout = 30_000 + fuzzSettings(RUNS).numRuns * 200;

  it("never throws, and accepts only a valid name with a matching password under the policy", async () => {
    const input = fc.tuple(username, password, fc.oneof(password, fc.constant(null))).map(([name, chosen, confirm]) => ({
      username: name,
      password: chosen,
      confirm: confirm ?? chosen,
    }));
    await fc.assert(
      fc.asyncProperty(input, async (signup) => {
        const result = await checkSignup(signup);
        if (!result.ok) {
          for (const message of Object.values(result.errors)) expect(message).toMatch(/^\S.{0,150}\.$/);
          return;
        }
        expect(checkUsername(result.username)).toBeNull();
        expect(result.username).toBe(normalizeUsername(signup.username));
        expect(signup.password).toBe(signup.confirm);
        expect([...signup.password].length).toBeGreaterThanOrEqual(12);
        expect(isPasswordTooLong(signup.password)).toBe(false);
        expect(signup.password.toLowerCase()).not.toContain(result.username);
      }),
      settings(),
    );
  }, timeout);

  it("never accepts a change that keeps the password, mismatches, or omits the current one", async () => {
    const input = fc.tuple(fc.oneof(password, fc.constant("")), password, fc.oneof(password, fc.constant(null)), username);
    await fc.assert(
      fc.asyncProperty(input, async ([current, chosen, confirm, name]) => {
        const change = { current, password: chosen, confirm: confirm ?? chosen };
        if ((await checkPasswordChange(change, normalizeUsername(name))) !== null) return;
        expect(current).not.toBe("");
        expect(chosen).toBe(change.confirm);
        expect(chosen).not.toBe(current);
      }),
      settings(),
    );
  }, timeout);
});

describe("formString", () => {
  it("gives the first value as a string, and an empty string for files or nothing", () => {
    const entry = fc.tuple(fc.constantFrom("username", "password", "next", "x"), fc.oneof(anyText, fc.constant(null)));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.constantFrom("username", "password", "next"), (entries, name) => {
        const form = new FormData();
        for (const [key, value] of entries) {
          if (value === null) form.append(key, new Blob(["file"]), "upload.txt");
          else form.append(key, value);
        }
        const first = entries.find(([key]) => key === name);
        const expected = first && typeof first[1] === "string" ? first[1] : "";
        // FormData turns lone surrogates into U+FFFD, as a browser's form encoder does.
        expect(formString(form, name)).toBe(expected.toWellFormed());
      }),
      settings(),
    );
  });
});

describe("readBody", () => {
  const ENDPOINT = "https://app.example/api/session";
  const contentType = fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/x-www-form-urlencoded",
      "Application/JSON; charset=utf-8",
      " application/json ;x",
      "application/x-www-form-urlencoded;charset=latin1",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      "application/json\t",
      "",
    ),
    headerText(),
  );
  const nearTheLimit = fc.integer({ min: MAX_BODY_BYTES - 8, max: MAX_BODY_BYTES + 8 });
  const text = fc.oneof(
    fc.json(),
    fc.string({ unit: "binary" }),
    assembled(['{"username":', '"password":', "}", "[", "]", ",", '"', "\\u0000", "\\ud800", "a=1", "&", "%", "+"]),
    fc.tuple(fc.json(), nearTheLimit).map(([json, size]) => json.padEnd(size, " ")),
    fc.tuple(fc.string({ unit: fc.constantFrom("é", "a", "🦦") }), nearTheLimit).map(([chars, size]) => `"${chars}"`.padEnd(size, " ")),
  );
  const body = fc.oneof(
    text.map((value) => new TextEncoder().encode(value)),
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(fc.uint8Array({ maxLength: 16 }), nearTheLimit).map(([bytes, size]) => {
      const padded = new Uint8Array(size).fill(0x20);
      padded.set(bytes.subarray(0, size));
      return padded;
    }),
  );

  /** The body in chunks cut at `cuts` (fractions of its length), as a chunked upload arrives. */
  function request(type: string, bytes: Uint8Array, cuts: number[], declaredLength?: string): Request {
    const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((a, b) => a - b);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let start = 0;
        for (const end of [...points, bytes.length]) {
          controller.enqueue(bytes.slice(start, end));
          start = end;
        }
        controller.close();
      },
    });
    const headers: Record<string, string> = { "content-type": type };
    if (declaredLength !== undefined) headers["content-length"] = declaredLength;
    return new Request(ENDPOINT, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
  }

  /** What the API promises (docs/api.md, lib/http/body.ts), stated without its code. */
  function promised(type: string, bytes: Uint8Array): BodyResult["ok"] | 400 | 413 | 415 {
    const essence = (type.split(";")[0] ?? "").trim().toLowerCase();
    if (essence !== "application/json" && essence !== "application/x-www-form-urlencoded") return 415;
    if (bytes.length > MAX_BODY_BYTES) return 413;
    if (essence === "application/x-www-form-urlencoded") return true;
    try {
      JSON.parse(new TextDecoder().decode(bytes));
      return true;
    } catch {
      return 400;
    }
  }

  const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

  it("answers any bytes under any content type with the value or a 400, 413 or 415, wherever the chunks break", async () => {
    await fc.assert(
      fc.asyncProperty(contentType, body, cuts, async (type, bytes, split) => {
        const whole = await readBody(request(type, bytes, []));
        const chunked = await readBody(request(type, bytes, split));
        expect(chunked).toEqual(whole);
        const expected = promised(type, bytes);
        if (expected === true) {
          expect(whole.ok).toBe(true);
        } else {
          expect(whole).toMatchObject({ ok: false, status: expected, error: expect.stringMatching(/^\S.*\.$/) });
        }
      }),
      settings(),
    );
  });

  it("refuses a declared Content-Length over the limit, and is not fooled by one under it", async () => {
    const declared = fc.oneof(fc.nat({ max: 3 * MAX_BODY_BYTES }).map(String), headerText(12));
    await fc.assert(
      fc.asyncProperty(contentType, body, declared, async (type, bytes, length) => {
        const honest = await readBody(request(type, bytes, []));
        const result = await readBody(request(type, bytes, [], length));
        const overLimit = Number(length) > MAX_BODY_BYTES;
        if (overLimit && promised(type, bytes) !== 415) expect(result).toMatchObject({ ok: false, status: 413 });
        else expect(result).toEqual(honest);
      }),
      settings(),
    );
  });
});

describe("clientIpFrom", () => {
  const PEER = "x-keycard-peer-0123456789abcdef";
  const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((ip) => `::ffff:${ip}`), fc.ipV6().map((ip) => ip.toUpperCase()));
  const junk = headerText();
  const trusted = fc.integer({ min: 1, max: 10 });

  it("never throws, and always names some client in at most 64 characters", () => {
    fc.assert(
      fc.property(fc.option(junk), fc.option(junk), fc.integer({ min: 0, max: 10 }), (forwarded, peer, proxies) => {
        const headers = new Headers();
        if (forwarded !== null) headers.set("x-forwarded-for", forwarded);
        if (peer !== null) headers.set(PEER, peer);
        const ip = clientIpFrom(headers, proxies, PEER);
        expect(ip.length).toBeGreaterThan(0);
        expect(ip.length).toBeLessThanOrEqual(64);
      }),
      settings(),
    );
  });

  it("behind N proxies, takes what the outermost proxy saw, whatever the client put before it", () => {
    fc.assert(
      fc.property(trusted, fc.array(address, { minLength: 10, maxLength: 10 }), junk, address, (proxies, hops, spoofed, peer) => {
        // Each proxy appends the address it saw; the client controls everything to their left.
        const appended = hops.slice(0, proxies);
        const headers = new Headers({ "x-forwarded-for": [spoofed, ...appended].join(", "), [PEER]: peer });
        expect(clientIpFrom(headers, proxies, PEER)).toBe(parseIp(appended[0] ?? ""));
      }),
      settings(),
    );
  });

  it("without trusted proxies, ignores X-Forwarded-For: the connection's peer, or unknown", () => {
    fc.assert(
      fc.property(junk, fc.option(address), (forwarded, peer) => {
        const headers = new Headers({ "x-forwarded-for": forwarded });
        if (peer !== null) headers.set(PEER, peer);
        expect(clientIpFrom(headers, 0, PEER)).toBe(peer === null ? "unknown" : parseIp(peer));
        // Without the peer hook, nothing in the request can be trusted either.
        expect(clientIpFrom(headers, 0, undefined)).toBe("unknown");
      }),
      settings(),
    );
  });

  it("gives one key per client: case, spacing, zones and IPv4-mapped IPv6 do not make a new one", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
        expect(parseIp(`::ffff:${v4}`)).toBe(v4);
        expect(parseIp(` ::FFFF:${v4}\t`)).toBe(v4);
        expect(parseIp(v6.toUpperCase())).toBe(parseIp(v6));
        expect(parseIp(`${v6}%eth0`)).toBe(parseIp(v6));
        expect(parseIp(parseIp(v6)!)).toBe(parseIp(v6));
      }),
      settings(),
    );
  });

  it("counts every address of an IPv6 network as one, whatever its last 128 - prefix bits", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 48, max: 64 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }), (v6, prefix, low) => {
        const address = parseIp(v6)!;
        fc.pre(!address.includes("."));
        const network = throttleNetwork(address, prefix);
        expect(network.endsWith(`::/${prefix}`)).toBe(true);
        // Same first four groups, any interface id: same network.
        const high = network.slice(0, network.indexOf("::")).split(":");
        expect(throttleNetwork(parseIp([...high, ...low.map((n) => n.toString(16))].join(":"))!, prefix)).toBe(network);
      }),
      settings(),
    );
  });
});

describe("session cookie contents", () => {
  const SECRET = "fuzz-only-session-secret-0123456789abcdef";
  const VALID = { sid: "q3Jc0N6cVb1Wd9xQm2Lr8TfYh4Zs7UaPk5EoGiBnXwA", uid: 7 };

  it("hasSessionShape is true only for a long-enough token and a safe integer user id", () => {
    const data = fc.oneof(
      fc.record({ sid: fc.oneof(fc.jsonValue(), fc.string({ minLength: 20, maxLength: 24 })), uid: fc.oneof(fc.jsonValue(), fc.integer()) }, { requiredKeys: [] }),
      fc.dictionary(fc.string(), fc.jsonValue()),
    );
    fc.assert(
      fc.property(data, (value) => {
        const { sid, uid } = value as { sid?: unknown; uid?: unknown };
        // Typed as unsealData hands it over; any JSON at all may have been sealed.
        const unsealed = value as Partial<SessionCookieData>;
        expect(hasSessionShape(unsealed)).toBe(typeof sid === "string" && sid.length >= 22 && Number.isSafeInteger(uid));
      }),
      settings(),
    );
  });

  it("a mutated, truncated or random seal never unseals to a session other than the real one", async () => {
    const seal = await sealData(VALID, { password: SECRET, ttl: 3600 });
    const character = fc.constantFrom(..."AZaz09-_*~.=%");
    const mutated = fc.oneof(
      fc.tuple(fc.nat(), character).map(([at, replacement]) => {
        const index = at % seal.length;
        return seal.slice(0, index) + replacement + seal.slice(index + 1);
      }),
      fc.nat().map((at) => seal.slice(0, at % seal.length)),
      fc.tuple(fc.nat(), fc.string({ maxLength: 4 })).map(([at, inserted]) => seal.slice(0, at % seal.length) + inserted + seal.slice(at % seal.length)),
      assembled(["Fe26.2", "*", "1", "~2", seal.slice(0, 40), seal.slice(-40)]),
      anyText,
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (candidate) => {
        const data = await unsealData<Record<string, unknown>>(candidate, { password: { 1: SECRET }, ttl: 3600 });
        if (hasSessionShape(data)) expect(data).toEqual(VALID);
      }),
      settings(),
    );
  });
});

describe("isCrossSiteRequest", () => {
  // A few hosts and ports that collide often, so "same host, other port" comes up.
  const host = fc.oneof(fc.constantFrom("app.example", "evil.example", "localhost", "127.0.0.1"), fc.domain());
  const port = fc.option(fc.oneof(fc.constantFrom(3000, 8443), fc.integer({ min: 1024, max: 65535 })));
  const site = fc.tuple(host, port).map(([name, number]) => (number === null ? name : `${name}:${number}`));

  it("lets through exactly the origins whose host is the one the request was sent to", () => {
    const headers = fc.record({
      scheme: fc.constantFrom("http", "https"),
      origin: site,
      host: site,
      forwardedHost: fc.option(site),
      fetchSite: fc.option(fc.constantFrom("same-origin", "same-site", "cross-site", "none")),
      sameSite: fc.boolean(),
    });
    fc.assert(
      fc.property(headers, ({ scheme, origin, host, forwardedHost, fetchSite, sameSite }) => {
        const servedAs = forwardedHost ?? host;
        const sentFrom = sameSite ? servedAs : origin;
        const request = new Request("https://internal.invalid/api/session", {
          method: "POST",
          headers: {
            origin: `${scheme}://${sentFrom}`,
            host,
            ...(forwardedHost === null ? {} : { "x-forwarded-host": forwardedHost }),
            ...(fetchSite === null ? {} : { "sec-fetch-site": fetchSite }),
          },
        });
        expect(isCrossSiteRequest(request)).toBe(sentFrom !== servedAs);
      }),
      settings(),
    );
  });

  it("never throws on garbage, and lets an Origin through only when it names this host", () => {
    fc.assert(
      fc.property(fc.option(fc.oneof(headerText(), fc.webUrl())), fc.option(headerText()), (origin, fetchSite) => {
        const request = new Request("https://app.example/api/session", {
          method: "POST",
          headers: { host: "app.example", ...(origin === null ? {} : { origin }), ...(fetchSite === null ? {} : { "sec-fetch-site": fetchSite }) },
        });
        const crossSite = isCrossSiteRequest(request);
        if (crossSite) return;
        if (origin === null) expect(fetchSite).not.toBe("cross-site");
        else expect(new URL(origin).host).toBe("app.example");
      }),
      settings(),
    );
  });
});
