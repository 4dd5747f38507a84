// The single-use rules of two-factor authentication, on whichever database the
// project runs: each a conditional update, so racing requests cannot both win.
import { beforeEach, describe, expect, it } from "vitest";
import { resetToUsers } from "../../test/db";
import {
  disableTotp,
  enableTotp,
  findTwoFactorState,
  listUnusedRecoveryCodes,
  replaceRecoveryCodes,
  savePendingTotpSecret,
  consumeRecoveryCode,
  consumeTotpStep,
} from "./two-factor";

const AT = new Date("2026-12-03T12:00:00Z");
let alice: { id: number };

beforeEach(async () => {
  ({ alice } = await resetToUsers("alice"));
});

describe("TOTP set-up", () => {
  it("is on only once confirmed, with the secret set-up saved, and its code's step used", async () => {
    expect(await savePendingTotpSecret(alice.id, "secret-a")).toBe(true);
    expect(await findTwoFactorState(alice.id)).toEqual({ totpSecret: "secret-a", totpEnabledAt: null, totpLastUsedStep: null });
    // Set-up begun again elsewhere meanwhile: the older confirmation changes nothing.
    expect(await savePendingTotpSecret(alice.id, "secret-b")).toBe(true);
    expect(await enableTotp(alice.id, "secret-a", 100, ["h1"], AT)).toBe(false);
    expect(await enableTotp(alice.id, "secret-b", 100, ["h1", "h2"], AT)).toBe(true);
    expect(await findTwoFactorState(alice.id)).toEqual({ totpSecret: "secret-b", totpEnabledAt: AT, totpLastUsedStep: 100 });
    expect((await listUnusedRecoveryCodes(alice.id)).map((row) => row.codeHash).sort()).toEqual(["h1", "h2"]);
    // While on, no new set-up replaces the secret.
    expect(await savePendingTotpSecret(alice.id, "secret-c")).toBe(false);
    expect((await findTwoFactorState(alice.id))?.totpSecret).toBe("secret-b");
  });
});

describe("consumeTotpStep", () => {
  it("takes each step once, and no step before the last", async () => {
    await savePendingTotpSecret(alice.id, "s");
    await enableTotp(alice.id, "s", 100, [], AT);
    expect(await consumeTotpStep(alice.id, 100)).toBe(false);
    expect(await consumeTotpStep(alice.id, 101)).toBe(true);
    expect(await consumeTotpStep(alice.id, 101)).toBe(false);
    expect(await consumeTotpStep(alice.id, 100)).toBe(false);
    expect(await consumeTotpStep(alice.id, 103)).toBe(true);
  });

  it("lets one of ten requests using one code at once through", async () => {
    await savePendingTotpSecret(alice.id, "s");
    await enableTotp(alice.id, "s", 100, [], AT);
    const results = await Promise.all(Array.from({ length: 10 }, () => consumeTotpStep(alice.id, 101)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("takes nothing while two-factor authentication is off", async () => {
    await savePendingTotpSecret(alice.id, "s");
    expect(await consumeTotpStep(alice.id, 101)).toBe(false);
  });
});

describe("recovery codes", () => {
  it("work once each, one of ten racing uses winning", async () => {
    await replaceRecoveryCodes(alice.id, ["h1", "h2"], AT);
    const [first] = await listUnusedRecoveryCodes(alice.id);
    const results = await Promise.all(Array.from({ length: 10 }, () => consumeRecoveryCode(first!.id, AT)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await listUnusedRecoveryCodes(alice.id)).toHaveLength(1);
  });

  it("are all replaced by new ones, used or not", async () => {
    await replaceRecoveryCodes(alice.id, ["h1", "h2"], AT);
    const [first] = await listUnusedRecoveryCodes(alice.id);
    await consumeRecoveryCode(first!.id, AT);
    await replaceRecoveryCodes(alice.id, ["h3"], AT);
    expect((await listUnusedRecoveryCodes(alice.id)).map((row) => row.codeHash)).toEqual(["h3"]);
  });
});

describe("disableTotp", () => {
  it("removes the secret, the used step and every recovery code", async () => {
    await savePendingTotpSecret(alice.id, "s");
    await enableTotp(alice.id, "s", 100, ["h1"], AT);
    await disableTotp(alice.id);
    expect(await findTwoFactorState(alice.id)).toEqual({ totpSecret: null, totpEnabledAt: null, totpLastUsedStep: null });
    expect(await listUnusedRecoveryCodes(alice.id)).toEqual([]);
  });
});
