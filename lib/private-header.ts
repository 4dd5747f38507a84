// A request header only this process can name, for what Node's request hook
// (instrumentation.ts) tells the app: the session handoff's slot
// (lib/session-handoff.ts). The name is random per process, so a client cannot
// guess it and cannot send it as its own.
import { randomBytes } from "node:crypto";

export function privateHeaderName(purpose: string): string {
  return `x-keycard-${purpose}-${randomBytes(8).toString("hex")}`;
}
