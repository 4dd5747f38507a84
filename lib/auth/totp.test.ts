import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, generateTotpSecret, hotp, matchTotp, otpauthUri, totpCode, totpStep } from "./totp";

// RFC 6238 Appendix B: the SHA-1 secret is the ASCII of "12345678901234567890".
const RFC_SECRET = Buffer.from("12345678901234567890");

describe("totpCode", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("gives RFC 6238's test vector at %i s (8 digits: %s), and its last 6 digits as the app's code", (seconds, expected) => {
    const at = new Date(seconds * 1000);
    expect(totpCode(RFC_SECRET, at, 8)).toBe(expected);
    expect(totpCode(RFC_SECRET, at)).toBe(expected.slice(2));
  });

  it("gives RFC 4226's HOTP test values for counters 0 to 9", () => {
    const values = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    expect(values.map((_, counter) => hotp(RFC_SECRET, counter))).toEqual(values);
  });
});

describe("matchTotp, with a controlled clock", () => {
  const secret = generateTotpSecret();
  const now = new Date("2026-12-03T12:00:10Z");
  const step = totpStep(now);
  const codeAt = (offsetSteps: number) => hotp(secret, step + offsetSteps);

  it("accepts this step's code and one step either side, and says which step it was", () => {
    expect(matchTotp(secret, codeAt(0), now)).toBe(step);
    expect(matchTotp(secret, codeAt(-1), now)).toBe(step - 1);
    expect(matchTotp(secret, codeAt(1), now)).toBe(step + 1);
  });

  it("refuses codes two steps away or more", () => {
    for (const offset of [-3, -2, 2, 3]) {
      // A code of a far step can equal one in the window by chance (1 in 10^6 per pair).
      if ([-1, 0, 1].some((near) => codeAt(near) === codeAt(offset))) continue;
      expect(matchTotp(secret, codeAt(offset), now)).toBeNull();
    }
  });

  it("refuses a code already used, and any code of a step before it (replay)", () => {
    const used = matchTotp(secret, codeAt(0), now);
    expect(matchTotp(secret, codeAt(0), now, used)).toBeNull();
    expect(matchTotp(secret, codeAt(-1), now, used)).toBeNull();
    expect(matchTotp(secret, codeAt(1), now, used)).toBe(step + 1);
  });

  it("reads a code written with spaces, and refuses anything that is not 6 digits", () => {
    const code = codeAt(0);
    expect(matchTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(step);
    for (const bad of ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", `${code}\u0000`, "-12345"]) {
      expect(matchTotp(secret, bad, now)).toBeNull();
    }
  });

  it("refuses another secret's code", () => {
    const other = generateTotpSecret();
    const code = hotp(other, step);
    if ([-1, 0, 1].some((near) => codeAt(near) === code)) return;
    expect(matchTotp(secret, code, now)).toBeNull();
  });
});

describe("base32", () => {
  it.each([
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ])("encodes %j as RFC 4648's %s (no padding) and back", (text, encoded) => {
    expect(base32Encode(Buffer.from(text))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(text);
  });

  it("reads lower case, spaces and padding, and refuses other characters", () => {
    expect(base32Decode("mzxw 6ytb oi==").toString()).toBe("foobar");
    expect(() => base32Decode("MZXW1")).toThrow(/not a base32 character/);
  });

  it("round-trips a generated secret: 20 bytes, 32 characters", () => {
    const secret = generateTotpSecret();
    expect(secret).toHaveLength(20);
    expect(base32Encode(secret)).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(base32Encode(secret)).equals(secret)).toBe(true);
  });
});

describe("otpauthUri", () => {
  it("names the issuer and account, and carries the secret, algorithm, digits and period", () => {
    const uri = new URL(otpauthUri({ secret: Buffer.from("12345678901234567890"), issuer: "Keycard", account: "ada lovelace" }));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Keycard:ada lovelace");
    expect(uri.href).toContain("ada%20lovelace");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
      issuer: "Keycard",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });
});
