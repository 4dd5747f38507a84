import "server-only";
import { headers } from "next/headers";
import { clientIpFrom } from "./client";
import { getTrustedProxyCount } from "./config";
import { getPeerHeader } from "./peer-address";

export type Client = { ip: string; userAgent: string | null };

/** The client of the request being handled (server components, actions, routes). */
export async function getClient(): Promise<Client> {
  const list = await headers();
  return {
    ip: clientIpFrom(list, getTrustedProxyCount(), getPeerHeader()),
    userAgent: list.get("user-agent")?.slice(0, 256) ?? null,
  };
}
