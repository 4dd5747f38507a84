import "server-only";
import { insertEvent, type EventRow } from "./audit";
import { db, transaction, type Tx } from "./client";
import { revokeUserSessions } from "./sessions";
import { UserNotFoundError } from "./users";

// Two-factor authentication's rows: the user's TOTP fields and their recovery
// codes. What the values mean: lib/auth/totp.ts, totp-secret.ts, recovery-codes.ts.
// The single-use rules are single conditional updates, so they hold across
// processes and instances: of two requests using one code at once, one wins.

export type TwoFactorState = { totpSecret: string | null; totpEnabledAt: Date | null; totpLastUsedStep: number | null };

export async function findTwoFactorState(userId: number): Promise<TwoFactorState | null> {
  return db.user.findUnique({ where: { id: userId }, select: { totpSecret: true, totpEnabledAt: true, totpLastUsedStep: true } });
}

/** Starts set-up: a new (encrypted) secret, not yet on. Refused (false) while two-factor authentication is on. */
export async function savePendingTotpSecret(userId: number, encryptedSecret: string): Promise<boolean> {
  const { count } = await db.user.updateMany({ where: { id: userId, totpEnabledAt: null }, data: { totpSecret: encryptedSecret } });
  return count === 1;
}

/**
 * Turns it on with the secret set-up saved (`encryptedSecret`, unchanged since:
 * a set-up begun again elsewhere meanwhile wins), the step of the code that
 * confirmed it (used), and new recovery codes in place of any old ones.
 */
export async function enableTotp(userId: number, encryptedSecret: string, usedStep: number, codeHashes: string[], at: Date): Promise<boolean> {
  return transaction(async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: userId, totpSecret: encryptedSecret, totpEnabledAt: null },
      data: { totpEnabledAt: at, totpLastUsedStep: usedStep },
    });
    if (count !== 1) return false;
    await writeRecoveryCodes(tx, userId, codeHashes, at);
    return true;
  });
}

/** Records that a code of `step` signed in; false when that step or a later one already did (a replay). */
export async function consumeTotpStep(userId: number, step: number): Promise<boolean> {
  const { count } = await db.user.updateMany({
    where: { id: userId, totpEnabledAt: { not: null }, OR: [{ totpLastUsedStep: null }, { totpLastUsedStep: { lt: step } }] },
    data: { totpLastUsedStep: step },
  });
  return count === 1;
}

/** Re-encrypts the secret under a newer key, unless it changed meanwhile. */
export async function replaceTotpSecret(userId: number, from: string, to: string): Promise<void> {
  await db.user.updateMany({ where: { id: userId, totpSecret: from }, data: { totpSecret: to } });
}

export async function listUnusedRecoveryCodes(userId: number): Promise<Array<{ id: number; codeHash: string }>> {
  return db.recoveryCode.findMany({ where: { userId, usedAt: null }, select: { id: true, codeHash: true } });
}

/** Marks a recovery code used; false when it already was (by this request's rival, say). */
export async function consumeRecoveryCode(id: number, at: Date): Promise<boolean> {
  const { count } = await db.recoveryCode.updateMany({ where: { id, usedAt: null }, data: { usedAt: at } });
  return count === 1;
}

/** New recovery codes in place of all the old ones, used or not. */
export async function replaceRecoveryCodes(userId: number, codeHashes: string[], at: Date): Promise<void> {
  await transaction((tx) => writeRecoveryCodes(tx, userId, codeHashes, at));
}

async function writeRecoveryCodes(tx: Tx, userId: number, codeHashes: string[], at: Date): Promise<void> {
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ userId, codeHash, createdAt: at })) });
}

/** Turns two-factor authentication off: secret, steps and recovery codes gone. */
export async function disableTotp(userId: number): Promise<void> {
  await transaction((tx) => clearTotp(tx, userId));
}

/**
 * Turns two-factor authentication off for `username`, removes their passkeys
 * and ends all their sessions, with the audit row `event`, in one transaction:
 * apart, a failure between them could leave sessions alive that the reset
 * meant to end, or a reset nobody can see in the log. Returns how many
 * sessions ended, or null when there was neither to remove (nothing is
 * written). Throws UserNotFoundError.
 */
export async function removeSecondFactorsAndSignOut(username: string, event: Omit<EventRow, "userId">, now: Date): Promise<number | null> {
  return transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { username }, select: { id: true, totpEnabledAt: true, _count: { select: { passkeys: true } } } });
    if (!user) throw new UserNotFoundError(username);
    if (!user.totpEnabledAt && user._count.passkeys === 0) return null;
    await clearTotp(tx, user.id);
    await tx.passkey.deleteMany({ where: { userId: user.id } });
    const ended = await revokeUserSessions(user.id, undefined, now, tx);
    await insertEvent({ ...event, userId: user.id }, tx);
    return ended;
  });
}

async function clearTotp(tx: Tx, userId: number): Promise<void> {
  await tx.user.update({ where: { id: userId }, data: { totpSecret: null, totpEnabledAt: null, totpLastUsedStep: null } });
  await tx.recoveryCode.deleteMany({ where: { userId } });
}
