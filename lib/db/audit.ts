import "server-only";
import { db, type Tx } from "./client";

/** One line of the security audit log. Never a password, token or cookie value. */
export type EventRow = {
  type: string;
  userId: number | null;
  username?: string | null;
  ip: string;
  userAgent: string | null;
  detail?: string | null;
  /** Now, unless a test's clock says otherwise. */
  createdAt?: Date;
};

/**
 * A name as typed, as the log keeps it: at most 64 characters, and a NUL as
 * U+FFFD, since PostgreSQL's text cannot hold one (a sign-up refused for its
 * rate records the name before it is checked).
 */
function storedUsername(username: string | null): string | null {
  return username === null ? null : username.slice(0, 64).replaceAll("\u0000", "\uFFFD");
}

export async function insertEvent({ type, userId, username = null, ip, userAgent, detail = null, createdAt }: EventRow, tx: Tx = db): Promise<void> {
  await tx.securityEvent.create({
    data: { type, userId, username: storedUsername(username), ip, userAgent, detail, ...(createdAt ? { createdAt } : {}) },
  });
}

/** Whether an event of this type was recorded for this username since `since`. */
export async function hasEventSince(type: string, username: string, since: Date): Promise<boolean> {
  const found = await db.securityEvent.findFirst({ where: { type, username, createdAt: { gt: since } }, select: { id: true } });
  return found !== null;
}

export async function listRecentEvents(userId: number, limit: number) {
  return db.securityEvent.findMany({
    where: { userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: { id: true, type: true, ip: true, userAgent: true, createdAt: true },
  });
}

export async function deleteEventsBefore(before: Date): Promise<number> {
  const { count } = await db.securityEvent.deleteMany({ where: { createdAt: { lt: before } } });
  return count;
}
