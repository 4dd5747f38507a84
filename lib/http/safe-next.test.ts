import { describe, expect, it } from "vitest";

import { safeNextPath } from "./safe-next";

const APP = "https://app.example";

/** Where a browser lands when it follows `Location: <output>` from our origin. */
function landingOrigin(output: string): string {
  return new URL(output, APP).origin;
}

function expectStaysOnSite(raw: unknown): string {
  const output = safeNextPath(raw);
  const label = `safeNextPath(${JSON.stringify(raw)}) = ${JSON.stringify(output)}`;
  expect(landingOrigin(output), label).toBe(APP);
  // A single leading slash: never protocol-relative, never `/\` (which browsers read as `//`).
  expect(output, label).toMatch(/^\/(?![/\\])/);
  return output;
}

describe("safeNextPath", () => {
  it.each(["/dashboard", "/dashboard?tab=1", "/protected#x", "/protected/deep/page?a=1&b=2#frag"])(
    "keeps the local path %s",
    (raw) => {
      expect(safeNextPath(raw)).toBe(raw);
    },
  );

  it("keeps an encoded //host as a local path (browsers do not decode %2F when resolving)", () => {
    const output = expectStaysOnSite("/%2F%2Fevil.example");
    expect(output).toBe("/%2F%2Fevil.example");
  });

  it("keeps an encoded tab as a local path (only raw tabs are stripped by browsers)", () => {
    expect(expectStaysOnSite("/%09/evil.example")).toBe("/%09/evil.example");
  });

  it.each([
    undefined,
    null,
    42,
    ["/dashboard"],
    { toString: () => "/dashboard" },
    "",
    "dashboard",
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil",
    "/\r/evil.example",
    "javascript:alert(1)",
    " /evil",
  ])("refuses %j", (raw) => {
    expect(safeNextPath(raw)).toBe("/dashboard");
  });

  it.each(["/.//evil.example", "/..//evil.example", "/%2e//evil.example", "/a/..//evil.example"])(
    "refuses %j, whose dot segments collapse into //host",
    (raw) => {
      // WHY: the URL parser resolves "/./" and "/%2e/" away, leaving "//evil.example".
      expect(safeNextPath(raw)).toBe("/dashboard");
    },
  );

  it("refuses over-long strings, but accepts one at the limit", () => {
    const atLimit = "/" + "a".repeat(2047);
    expect(safeNextPath(atLimit)).toBe(atLimit);
    expect(safeNextPath("/" + "a".repeat(2048))).toBe("/dashboard");
    expect(safeNextPath("/" + "a".repeat(100_000))).toBe("/dashboard");
  });

  it("never sends the browser to another origin, for many generated nasty inputs", () => {
    const prefixes = [
      "", "/", "//", "///", "\\", "\\\\", "/\\", "\\/", "/\t/", "/\n/", "\t//", " //", "/ /",
      "%2f", "%2F%2F", "/%2f", "/%2f%2f", "/%5c", "/%5C/", "/./", "/../", "/.//", "/%2e/", "/%2e%2e/",
      "/\u0000/", "/\u007f/", "\u3000//", "/\uff0f", "/\u2215/", "/@", "/:",
    ];
    const schemes = ["", "http:", "https:", "HTTPS:", "javascript:", "data:", "h\ttps:", "file:", "//"];
    const hosts = ["", "evil.example", "/evil.example", "//evil.example", "\\evil.example", "evil.example:443", "user@evil.example", "[::1]", "127.0.0.1", "%65vil.example"];
    const suffixes = ["", "/", "/path?x=1#y", "\\", "%00"];

    let checked = 0;
    let refused = 0;
    for (const prefix of prefixes) {
      for (const scheme of schemes) {
        for (const host of hosts) {
          for (const suffix of suffixes) {
            for (const raw of [prefix + scheme + host + suffix, scheme + prefix + host + suffix]) {
              const output = expectStaysOnSite(raw);
              if (output === "/dashboard") refused += 1;
              checked += 1;
            }
          }
        }
      }
    }
    // The loop must actually exercise both outcomes, or it proves nothing.
    expect(checked).toBeGreaterThan(20_000);
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(checked);
  });

  it("returns its output unchanged when fed back in (what the login form round-trips)", () => {
    for (const raw of ["/dashboard?tab=1", "/%2F%2Fevil.example", "/a b", "/ümlaut", "/x?next=//evil#//evil"]) {
      const once = expectStaysOnSite(raw);
      expect(safeNextPath(once)).toBe(once);
    }
  });
});
