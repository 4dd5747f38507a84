// Who is on the other end of a request: the client's IP address and user agent,
// for throttling and the audit log.
import { headers } from "next/headers";
import { isIP } from "node:net";
import { getTrustedProxyCount } from "../config";
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

/**
 * The address the request came from. Without proxies (TRUST_PROXY=0) it is the
 * connection's peer address, which lib/server/request-hooks.mjs copies into a header
 * whose name is random per process, so a client cannot forge it. With N trusted
 * proxies in front, it is the address the outermost of them saw: the Nth entry
 * from the right of X-Forwarded-For (entries further left are client-supplied).
 * An entry that is not an IP address is ignored: whoever reached the app port
 * directly would otherwise pick a fresh throttle key per request.
 */
export function clientIpFrom(headers: Headers, trustedProxies: number, peerHeader: string | undefined): string {
  if (trustedProxies > 0) {
    const hops = (headers.get("x-forwarded-for") ?? "")
      .split(",")
      .map((hop) => hop.trim())
      .filter(Boolean);
    const hop = hops[hops.length - trustedProxies];
    if (hop) {
      const forwarded = parseIp(hop);
      if (forwarded) return forwarded;
      noteIgnoredForwardedAddress(hop);
    }
  }
  const peer = peerHeader ? headers.get(peerHeader) : null;
  // Without the hook (lib/server/request-hooks.mjs not loaded) nothing here can be trusted:
  // X-Forwarded-For may come from the client.
  return (peer && parseIp(peer)) || "unknown";
}

/**
 * A valid IPv4 or IPv6 address in one spelling per client (lower case, no zone,
 * IPv4-mapped IPv6 as plain IPv4), or null for anything else.
 */
export function parseIp(text: string): string | null {
  const address = text.trim().toLowerCase().replace(/%.*$/, "");
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return null;
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  return mapped ? [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".") : address;
}

/**
 * What throttling counts an address under: an IPv4 address as itself, an IPv6
 * address by its first `ipv6Prefix` bits (a /64 by default), since one home
 * connection is routinely given a whole /64 and could otherwise guess from
 * every address in it.
 */
export function throttleNetwork(ip: string, ipv6Prefix: number): string {
  if (isIP(ip) !== 6) return ip;
  const groups = ipv6Groups(ip).slice(0, 4);
  for (const [index, group] of groups.entries()) {
    const keep = Math.min(16, Math.max(0, ipv6Prefix - index * 16));
    groups[index] = group & ((0xffff << (16 - keep)) & 0xffff);
  }
  return `${groups.map((group) => group.toString(16)).join(":")}::/${ipv6Prefix}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`isIP(address) === 6`, no zone). */
function ipv6Groups(address: string): number[] {
  const parts = (half: string): number[] =>
    half === ""
      ? []
      : half.split(":").flatMap((part) => {
          if (!part.includes(".")) return [parseInt(part, 16)];
          const [a, b, c, d] = part.split(".").map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = "", tail] = address.split("::");
  if (tail === undefined) return parts(head);
  const left = parts(head);
  const right = parts(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

// A proxy set up wrong would otherwise log on every request.
let lastIgnoredNote = 0;

function noteIgnoredForwardedAddress(hop: string): void {
  const now = Date.now();
  if (now - lastIgnoredNote < 60_000) return;
  lastIgnoredNote = now;
  console.warn(
    `keycard: ignored X-Forwarded-For entry ${JSON.stringify(hop.slice(0, 64))}: not an IP address, so the connection's address is used (check TRUST_PROXY and the proxy's config)`,
  );
}

/** A short, human description of a user agent: "Chrome on Linux". */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser =
    /Edg\//.test(userAgent) ? "Edge"
    : /Firefox\//.test(userAgent) ? "Firefox"
    : /Chrom(e|ium)\//.test(userAgent) ? "Chrome"
    : /Safari\//.test(userAgent) ? "Safari"
    : /curl\//i.test(userAgent) ? "curl"
    : null;
  const os =
    /Android/.test(userAgent) ? "Android"
    : /iPhone|iPad|iPod/.test(userAgent) ? "iOS"
    : /Windows/.test(userAgent) ? "Windows"
    : /Mac OS X|Macintosh/.test(userAgent) ? "macOS"
    : /Linux/.test(userAgent) ? "Linux"
    : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? userAgent.slice(0, 40);
}
