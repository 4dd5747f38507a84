import { sealData } from "iron-session";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getSessionOptions } from "../session/seal";
import { openPendingSignIn, PENDING_SIGN_IN_SECONDS, sealPendingSignIn } from "./pending-sign-in";

const PASSWORD_AT = new Date();
const PENDING = { uid: 7, username: "alice", persistent: true, passwordAt: PASSWORD_AT, passwordStamp: "s".repeat(22) };
const after = (seconds: number) => new Date(PASSWORD_AT.getTime() + seconds * 1000);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the pending sign-in between password and second factor", () => {
  it("opens to who passed the password, when, and whether to stay signed in", async () => {
    expect(await openPendingSignIn(await sealPendingSignIn(PENDING), after(1))).toEqual(PENDING);
  });

  it(`ends ${PENDING_SIGN_IN_SECONDS / 60} minutes after the password`, async () => {
    const seal = await sealPendingSignIn(PENDING);
    expect(await openPendingSignIn(seal, after(PENDING_SIGN_IN_SECONDS - 1))).not.toBeNull();
    expect(await openPendingSignIn(seal, after(PENDING_SIGN_IN_SECONDS))).toBeNull();
  });

  it("does not open altered, cut, empty, or sealed under a secret not configured", async () => {
    const seal = await sealPendingSignIn(PENDING);
    // One character changed in the encrypted part, and in the HMAC (iron's parts 4 and 7).
    const tampered = [4, 7].map((index) => {
      const parts = seal.split("*");
      parts[index] = `${parts[index]![0] === "A" ? "B" : "A"}${parts[index]!.slice(1)}`;
      return parts.join("*");
    });
    for (const bad of [...tampered, seal.slice(0, -5), "", undefined, "garbage"]) expect(await openPendingSignIn(bad, after(1))).toBeNull();
    vi.stubEnv("SESSION_SECRET", "another-secret-another-secret-another-secret");
    vi.resetModules();
    const { sealPendingSignIn: sealWithOther } = await import("./pending-sign-in");
    const foreign = await sealWithOther(PENDING);
    expect(await openPendingSignIn(foreign, after(1))).toBeNull();
  });

  it("is not a session cookie's seal, nor the other way round", async () => {
    const sessionSeal = await sealData({ sid: "x".repeat(43), uid: 7 }, getSessionOptions());
    expect(await openPendingSignIn(sessionSeal, after(1))).toBeNull();
    const { openSeal } = await import("../session/seal");
    expect((await openSeal(await sealPendingSignIn(PENDING))).ok).toBe(false);
  });
});
