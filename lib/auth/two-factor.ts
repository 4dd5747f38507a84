import "server-only";
import QRCode from "qrcode";
import { eventRow, recordEvent } from "../audit";
import {
  disableTotp,
  removeSecondFactorsAndSignOut,
  enableTotp,
  findTwoFactorState,
  listUnusedRecoveryCodes,
  replaceRecoveryCodes,
  replaceTotpSecret,
  savePendingTotpSecret,
  consumeRecoveryCode,
  consumeTotpStep,
} from "../db/two-factor";
import type { Client } from "../http/client-address";
import type { PublicUser } from "./accounts";
import { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode } from "./recovery-codes";
import { base32Encode, generateTotpSecret, matchTotp, otpauthUri } from "./totp";
import { canEncryptTotpSecrets, decryptTotpSecret, encryptTotpSecret, needsNewerKey } from "./totp-secret";

// Two-factor authentication with an authenticator app (lib/auth/totp.ts) and
// recovery codes: set-up, its confirmation, and checking a second factor.
// Who may do each (the password step, re-authentication) is the caller's
// concern; this module keeps the secrets and the single-use rules.

/** The name authenticator apps show beside the account. */
export const TOTP_ISSUER = "Keycard";

export class TwoFactorUnavailableError extends Error {
  override name = "TwoFactorUnavailableError";
  constructor() {
    super("Two-factor authentication is not available on this server (TOTP_ENCRYPTION_KEY is not set).");
  }
}

/** What set-up shows: the QR code (an SVG document, made here: nothing leaves the server), and the same secret as text. */
export type TotpSetup = { setupKey: string; otpauthUri: string; qrCodeSvg: string };

export async function isTwoFactorEnabled(userId: number): Promise<boolean> {
  return Boolean((await findTwoFactorState(userId))?.totpEnabledAt);
}

/** What the account page shows: whether this server can do it, and where the user is with it. */
export type TwoFactorStatus =
  | { state: "unavailable" }
  | { state: "off" }
  | { state: "setting-up"; setup: TotpSetup }
  | { state: "on"; since: Date; recoveryCodesLeft: number };

export async function twoFactorStatus(user: PublicUser): Promise<TwoFactorStatus> {
  const state = await findTwoFactorState(user.id);
  if (state?.totpEnabledAt) return { state: "on", since: state.totpEnabledAt, recoveryCodesLeft: (await listUnusedRecoveryCodes(user.id)).length };
  if (!canEncryptTotpSecrets()) return { state: "unavailable" };
  // A set-up begun under a key since removed is as good as none.
  const secret = state?.totpSecret ? tryDecrypt(state.totpSecret, user.id) : null;
  return secret ? { state: "setting-up", setup: await describeSetup(secret, user.username) } : { state: "off" };
}

function tryDecrypt(stored: string, userId: number): Buffer | null {
  try {
    return decryptTotpSecret(stored, userId);
  } catch {
    return null;
  }
}

async function describeSetup(secret: Buffer, username: string): Promise<TotpSetup> {
  const uri = otpauthUri({ secret, issuer: TOTP_ISSUER, account: username });
  const qrCodeSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
  return { setupKey: base32Encode(secret), otpauthUri: uri, qrCodeSvg };
}

/**
 * Begins set-up: a new secret, saved encrypted, not on until a code from the
 * app confirms it. Null while two-factor authentication is already on.
 */
export async function beginTotpSetup(user: PublicUser): Promise<TotpSetup | null> {
  if (!canEncryptTotpSecrets()) throw new TwoFactorUnavailableError();
  const secret = generateTotpSecret();
  if (!(await savePendingTotpSecret(user.id, encryptTotpSecret(secret, user.id)))) return null;
  return describeSetup(secret, user.username);
}

/**
 * Confirms set-up with a code from the app: two-factor authentication is on,
 * and the recovery codes come back, to be shown once. Null for a wrong code,
 * or when there is no set-up to confirm.
 */
export async function confirmTotpSetup(user: PublicUser, code: string, client: Client, now: Date = new Date()): Promise<string[] | null> {
  const state = await findTwoFactorState(user.id);
  if (!state?.totpSecret || state.totpEnabledAt) return null;
  const step = matchTotp(decryptTotpSecret(state.totpSecret, user.id), code, now);
  if (step === null) return null;
  const codes = generateRecoveryCodes();
  if (!(await enableTotp(user.id, state.totpSecret, step, codes.map(hashRecoveryCode), now))) return null;
  await recordEvent({ type: "two_factor_enabled", client, userId: user.id, username: user.username });
  return codes;
}

/**
 * A second factor at sign-in: a code from the app, or a recovery code, each
 * good once (a code of the last used step or before is refused). A secret
 * still under an older TOTP_ENCRYPTION_KEY is re-encrypted under the newest.
 */
export async function verifySecondFactor(user: PublicUser, code: string, client: Client, now: Date = new Date()): Promise<"totp" | "recovery" | null> {
  const state = await findTwoFactorState(user.id);
  if (!state?.totpEnabledAt || !state.totpSecret) return null;
  const secret = decryptTotpSecret(state.totpSecret, user.id);
  const step = matchTotp(secret, code, now, state.totpLastUsedStep);
  if (step !== null && (await consumeTotpStep(user.id, step))) {
    if (needsNewerKey(state.totpSecret)) await replaceTotpSecret(user.id, state.totpSecret, encryptTotpSecret(secret, user.id));
    return "totp";
  }
  const recovery = matchRecoveryCode(code, await listUnusedRecoveryCodes(user.id));
  if (recovery !== null && (await consumeRecoveryCode(recovery, now))) {
    await recordEvent({ type: "recovery_code_used", client, userId: user.id, username: user.username });
    return "recovery";
  }
  return null;
}

/** New recovery codes in place of the old, shown once. */
export async function renewRecoveryCodes(user: PublicUser, client: Client, now: Date = new Date()): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await replaceRecoveryCodes(user.id, codes.map(hashRecoveryCode), now);
  await recordEvent({ type: "recovery_codes_created", client, userId: user.id, username: user.username });
  return codes;
}

export async function turnOffTwoFactor(user: PublicUser, client: Client): Promise<void> {
  await disableTotp(user.id);
  await recordEvent({ type: "two_factor_disabled", client, userId: user.id, username: user.username });
}

/**
 * The operator's reset (`npm run users -- mfa-reset`), for a user who lost the
 * app and their recovery codes, or their passkeys: two-factor authentication
 * off, passkeys removed (the password is then the only way in), and the user
 * signed out everywhere, since a lost phone may still hold a signed-in browser
 * (OWASP ASVS 5 V7.4.3); the user's activity says an operator did it. Returns
 * how many sessions ended, or null when there was neither: nothing changes then.
 * Throws UserNotFoundError.
 */
export async function resetTwoFactor(username: string, client: Client, now: Date = new Date()): Promise<number | null> {
  return removeSecondFactorsAndSignOut(username, eventRow({ type: "two_factor_reset", client, username }, now), now);
}
