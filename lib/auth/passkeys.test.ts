// What the server asks of a browser's authenticator, and what it refuses
// before any signature is checked. Answers with real signatures come from
// Chromium's virtual authenticator in e2e/passkeys.spec.ts.
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetToUsers, skipRandomPruning } from "../../test/db";
import { db } from "../db/client";
import { consumeChallenge, insertPasskey } from "../db/passkeys";
import { beginPasskeyRegistration, beginPasskeySignIn, CHALLENGE_SECONDS, finishPasskeySignIn, PasskeysUnavailableError } from "./passkeys";
import { challengeForPasskeySignIn } from "./sign-in";

const CLIENT = { ip: "192.0.2.9", userAgent: "vitest" };
const NOW = new Date("2026-12-03T12:00:00Z");
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const base64url = (text: string) => Buffer.from(text).toString("base64url");
let alice: { id: number; username: string };
let bob: { id: number; username: string };

// saveChallenge prunes expired challenges on 1 % of calls, by the real clock, which is past NOW.
skipRandomPruning();

beforeEach(async () => {
  vi.stubEnv("NODE_ENV", "production");
  vi.stubEnv("WEBAUTHN_RP_ID", "example.com");
  vi.stubEnv("WEBAUTHN_ORIGIN", "https://login.example.com");
  ({ alice, bob } = await resetToUsers("alice", "bob"));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

async function addPasskey(userId: number, id: string, transports: string): Promise<void> {
  await insertPasskey({ id, userId, name: "Laptop", publicKey: new Uint8Array([1, 2, 3]), counter: 0n, transports });
}

describe("beginPasskeyRegistration", () => {
  it("asks for a discoverable, user-verified passkey bound to the configured RP ID, for the user's id", async () => {
    const options = await beginPasskeyRegistration(alice, NOW);
    expect(options.rp.id).toBe("example.com");
    expect(options.user).toEqual(expect.objectContaining({ id: base64url(String(alice.id)), name: "alice" }));
    expect(options.authenticatorSelection).toEqual(expect.objectContaining({ residentKey: "required", userVerification: "required" }));
    expect(options.attestation).toBe("none");
  });

  it("excludes the user's existing passkeys and no one else's", async () => {
    await addPasskey(alice.id, "alice-usb", "usb");
    await addPasskey(alice.id, "alice-phone", "internal,hybrid");
    await addPasskey(bob.id, "bob-laptop", "internal");
    const options = await beginPasskeyRegistration(alice, NOW);
    expect(options.excludeCredentials?.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "alice-phone", type: "public-key", transports: ["internal", "hybrid"] },
      { id: "alice-usb", type: "public-key", transports: ["usb"] },
    ]);
  });

  it("saves a registration challenge for that user only, usable once", async () => {
    const { challenge } = await beginPasskeyRegistration(alice, NOW);
    expect(await consumeChallenge(challenge, "registration", bob.id, NOW)).toBe(false);
    expect(await consumeChallenge(challenge, "authentication", null, NOW)).toBe(false);
    expect(await consumeChallenge(challenge, "registration", alice.id, NOW)).toBe(true);
    expect(await consumeChallenge(challenge, "registration", alice.id, NOW)).toBe(false);
  });
});

describe("beginPasskeySignIn", () => {
  it("asks any passkey of the configured RP ID, with user verification, naming no credentials", async () => {
    const options = await beginPasskeySignIn(NOW);
    expect(options.rpId).toBe("example.com");
    expect(options.userVerification).toBe("required");
    expect(options.allowCredentials ?? []).toEqual([]);
  });

  it("saves an authentication challenge that is accepted once", async () => {
    const { challenge } = await beginPasskeySignIn(NOW);
    expect(await consumeChallenge(challenge, "registration", alice.id, NOW)).toBe(false);
    expect(await consumeChallenge(challenge, "authentication", null, NOW)).toBe(true);
    expect(await consumeChallenge(challenge, "authentication", null, NOW)).toBe(false);
  });

  it("gives the browser five minutes to answer", async () => {
    const first = await beginPasskeySignIn(NOW);
    const second = await beginPasskeySignIn(NOW);
    expect(CHALLENGE_SECONDS).toBe(300);
    expect(await consumeChallenge(first.challenge, "authentication", null, later(CHALLENGE_SECONDS - 1))).toBe(true);
    expect(await consumeChallenge(second.challenge, "authentication", null, later(CHALLENGE_SECONDS))).toBe(false);
  });

  it("is unavailable in production without WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN", async () => {
    vi.stubEnv("WEBAUTHN_RP_ID", "");
    vi.stubEnv("WEBAUTHN_ORIGIN", "");
    await expect(beginPasskeySignIn(NOW)).rejects.toBeInstanceOf(PasskeysUnavailableError);
    await expect(beginPasskeyRegistration(alice, NOW)).rejects.toBeInstanceOf(PasskeysUnavailableError);
  });
});

describe("finishPasskeySignIn", () => {
  /** An answer shaped as a browser's for `credentialId`, to a fresh challenge of ours, with no real signature: refused before one is checked. */
  async function unsignedAnswer(credentialId: string, userId: number): Promise<{ challenge: string; answer: AuthenticationResponseJSON }> {
    const { challenge } = await beginPasskeySignIn(NOW);
    const clientData = { type: "webauthn.get", challenge, origin: "https://login.example.com", crossOrigin: false };
    const answer: AuthenticationResponseJSON = {
      id: credentialId,
      rawId: credentialId,
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: base64url(JSON.stringify(clientData)),
        authenticatorData: base64url("not checked"),
        signature: base64url("not checked"),
        userHandle: base64url(String(userId)),
      },
    };
    return { challenge, answer };
  }

  it("refuses an answer from a credential this server does not know, signing no one in", async () => {
    await addPasskey(alice.id, "alice-laptop", "internal");
    const { answer } = await unsignedAnswer("unknown-credential", alice.id);
    expect(await finishPasskeySignIn(answer, CLIENT, { now: NOW })).toBeNull();
    expect(await db.securityEvent.count({ where: { type: "passkey_used" } })).toBe(0);
  });

  it("refuses, for \"Confirm it's you\", another user's passkey before it counts as used: its challenge stays", async () => {
    await addPasskey(bob.id, "bob-phone", "internal");
    const { challenge, answer } = await unsignedAnswer("bob-phone", bob.id);
    expect(await finishPasskeySignIn(answer, CLIENT, { onlyUserId: bob.id + 1000, now: NOW })).toBeNull();
    // Refused before verification: the challenge was not even taken.
    expect(await consumeChallenge(challenge, "authentication", null, NOW)).toBe(true);
    expect(await db.securityEvent.count({ where: { type: "passkey_used" } })).toBe(0);
  });
});

describe("challengeForPasskeySignIn", () => {
  it("counts against the network's sign-in volume: each challenge is a row until it expires", async () => {
    await challengeForPasskeySignIn(CLIENT);
    await challengeForPasskeySignIn(CLIENT);
    const rows = await db.throttle.findMany({ where: { key: { startsWith: `signins:${CLIENT.ip}@` } } });
    expect(rows.map((row) => row.failures)).toEqual([2]);
  });
});
