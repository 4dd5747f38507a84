import { describe, expect, it } from "vitest";

import { contentSecurityPolicy, createNonce } from "./security-headers";

/** The policy as directive name → its sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((directive) => {
      const [name = "", ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe("createNonce", () => {
  it("is 128 random bits of base64, different every request", () => {
    const nonces = Array.from({ length: 1000 }, createNonce);
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(nonce, "base64")).toHaveLength(16);
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

describe("contentSecurityPolicy", () => {
  const nonce = createNonce();

  it("runs only scripts and styles carrying this request's nonce, never inline or eval in production", () => {
    const policy = directives(contentSecurityPolicy(nonce, { dev: false }));
    expect(policy.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(policy.get("style-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(contentSecurityPolicy(nonce, { dev: false })).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it("allows eval only in development, where React needs it", () => {
    expect(directives(contentSecurityPolicy(nonce, { dev: true })).get("script-src")).toContain("'unsafe-eval'");
  });

  it("forbids framing, plugins, base-tag tricks and posting forms elsewhere", () => {
    const policy = directives(contentSecurityPolicy(nonce, { dev: false }));
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
    expect(policy.get("default-src")).toEqual(["'self'"]);
  });
});
