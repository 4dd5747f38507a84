import "server-only";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { z } from "zod";
import { recordEvent } from "../audit";
import { getWebAuthnConfig, type WebAuthnConfig } from "../config";
import {
  consumeChallenge,
  deletePasskey,
  findPasskey,
  insertPasskey,
  listPasskeyIds,
  recordPasskeyUse,
  saveChallenge,
  type ChallengePurpose,
} from "../db/passkeys";
import type { Client } from "../http/client-address";
import type { PublicUser } from "./accounts";
import { TOTP_ISSUER } from "./two-factor";

// Passkeys (WebAuthn, through @simplewebauthn/server): a key pair made on the
// user's device, the private half never leaving it. A passkey sign-in is both
// factors at once: something the user has, unlocked by something they know or
// are (user verification is required). Discoverable credentials, so sign-in
// needs no username. Challenges live in the database (single use, a few
// minutes), so the instance that checks an answer need not be the one that
// asked; the origin and RP ID come from configuration (WEBAUTHN_ORIGIN,
// WEBAUTHN_RP_ID), never from the request.

// The answers' shapes, checked before the library reads them: what arrives is
// any client's JSON. The library checks every value's meaning.
const base64url = z.string().max(2048).regex(/^[A-Za-z0-9_-]*$/);
const credentialFields = { id: base64url, rawId: base64url, type: z.literal("public-key"), clientExtensionResults: z.looseObject({}) };

export const registrationResponseSchema = z.looseObject({
  ...credentialFields,
  response: z.looseObject({ clientDataJSON: base64url, attestationObject: base64url, transports: z.array(z.string().max(32)).max(10).optional() }),
});

export const authenticationResponseSchema = z.looseObject({
  ...credentialFields,
  response: z.looseObject({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
});

/** How long the browser has to answer a challenge. */
export const CHALLENGE_SECONDS = 5 * 60;
/** The longest name a passkey may have. */
export const PASSKEY_NAME_MAX = 60;

export class PasskeysUnavailableError extends Error {
  override name = "PasskeysUnavailableError";
  constructor() {
    super("Passkeys are not available on this server (WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN are not set).");
  }
}

export function arePasskeysAvailable(): boolean {
  return getWebAuthnConfig() !== null;
}

function webAuthn(): WebAuthnConfig {
  const config = getWebAuthnConfig();
  if (!config) throw new PasskeysUnavailableError();
  return config;
}

async function challengeFor(purpose: ChallengePurpose, userId: number | null, challenge: string, now: Date): Promise<void> {
  await saveChallenge(challenge, purpose, userId, new Date(now.getTime() + CHALLENGE_SECONDS * 1000));
}

/** What the browser needs to make a passkey for `user` (never one the user has on this device already). */
export async function beginPasskeyRegistration(user: PublicUser, now: Date = new Date()): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpId } = webAuthn();
  const existing = await listPasskeyIds(user.id);
  const options = await generateRegistrationOptions({
    rpName: TOTP_ISSUER,
    rpID: rpId,
    userName: user.username,
    // The user handle the authenticator keeps: the user's id, so a passkey made
    // again for the same account on one device replaces the older one there.
    userID: new TextEncoder().encode(String(user.id)),
    attestationType: "none",
    excludeCredentials: existing.map(({ id, transports }) => ({ id, transports: splitTransports(transports) })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    timeout: CHALLENGE_SECONDS * 1000,
  });
  await challengeFor("registration", user.id, options.challenge, now);
  return options;
}

/**
 * Keeps the passkey the browser made, if its answer is to a challenge given to
 * this user, unused and unexpired, from our origin and RP ID, with the user
 * verified. False otherwise.
 */
export async function finishPasskeyRegistration(
  user: PublicUser,
  name: string,
  response: RegistrationResponseJSON,
  client: Client,
  now: Date = new Date(),
): Promise<boolean> {
  const { rpId, origin } = webAuthn();
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: (challenge) => consumeChallenge(challenge, "registration", user.id, now),
    expectedOrigin: origin,
    expectedRPID: rpId,
    requireUserVerification: true,
  }).catch(() => null);
  if (!verification?.verified) return false;
  const { credential } = verification.registrationInfo;
  await insertPasskey({
    id: credential.id,
    userId: user.id,
    name,
    publicKey: credential.publicKey,
    counter: BigInt(credential.counter),
    transports: (credential.transports ?? []).join(","),
  });
  await recordEvent({ type: "passkey_added", client, userId: user.id, username: user.username, detail: name });
  return true;
}

/** What the browser needs to sign in with any passkey of this site (discoverable: no username asked). */
export async function beginPasskeySignIn(now: Date = new Date()): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpId } = webAuthn();
  const options = await generateAuthenticationOptions({ rpID: rpId, userVerification: "required", timeout: CHALLENGE_SECONDS * 1000 });
  await challengeFor("authentication", null, options.challenge, now);
  return options;
}

/**
 * The user a passkey's answer proves, or null: a passkey we do not know (or
 * one removed), an answer to no challenge of ours (or a used or expired one),
 * another origin or RP ID, no user verification, a bad signature, or a
 * signature counter that did not move on (a cloned authenticator); with
 * `onlyUserId`, any passkey but that user's.
 */
export async function finishPasskeySignIn(
  response: AuthenticationResponseJSON,
  client: Client,
  { onlyUserId, now = new Date() }: { onlyUserId?: number; now?: Date } = {},
): Promise<PublicUser | null> {
  const { rpId, origin } = webAuthn();
  const passkey = await findPasskey(response.id);
  // "Confirm it's you" takes only the user's own: another's is refused before it counts as used.
  if (!passkey || (onlyUserId !== undefined && passkey.userId !== onlyUserId)) return null;
  // The handle the authenticator keeps for the account (beginPasskeyRegistration) must be this passkey's user.
  if (response.response.userHandle && response.response.userHandle !== Buffer.from(String(passkey.userId)).toString("base64url")) return null;
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: (challenge) => consumeChallenge(challenge, "authentication", null, now),
    expectedOrigin: origin,
    expectedRPID: rpId,
    credential: { id: passkey.id, publicKey: new Uint8Array(passkey.publicKey), counter: Number(passkey.counter), transports: splitTransports(passkey.transports) },
    requireUserVerification: true,
  }).catch(() => null);
  if (!verification?.verified) return null;
  const newCounter = BigInt(verification.authenticationInfo.newCounter);
  if (!(await recordPasskeyUse(passkey.id, passkey.counter, newCounter, now))) return null;
  const user = { id: passkey.userId, username: passkey.username };
  await recordEvent({ type: "passkey_used", client, userId: user.id, username: user.username, detail: passkey.name });
  return user;
}

export async function removePasskey(user: PublicUser, id: string, client: Client): Promise<void> {
  if (await deletePasskey(user.id, id)) await recordEvent({ type: "passkey_removed", client, userId: user.id, username: user.username });
}

export { listPasskeys } from "../db/passkeys";

function splitTransports(stored: string): AuthenticatorTransportFuture[] {
  return stored === "" ? [] : (stored.split(",") as AuthenticatorTransportFuture[]);
}
