// Who is on the other end of a request: the client's IP address and user agent,
// for throttling and the audit log. Edge-safe.

/**
 * The address the request came from. Without proxies (TRUST_PROXY=0) it is the
 * connection's peer address, which lib/request-hooks.mjs copies into a header
 * whose name is random per process, so a client cannot forge it. With N trusted
 * proxies in front, it is the address the outermost of them saw: the Nth entry
 * from the right of X-Forwarded-For (entries further left are client-supplied).
 */
export function clientIpFrom(headers: Headers, trustedProxies: number, peerHeader: string | undefined): string {
  if (trustedProxies > 0) {
    const hops = (headers.get("x-forwarded-for") ?? "")
      .split(",")
      .map((hop) => hop.trim())
      .filter(Boolean);
    const hop = hops[hops.length - trustedProxies];
    if (hop) return normalizeIp(hop);
  }
  const peer = peerHeader ? headers.get(peerHeader) : null;
  // Without the hook (lib/request-hooks.mjs not loaded) nothing here can be trusted:
  // X-Forwarded-For may come from the client.
  return peer ? normalizeIp(peer) : "unknown";
}

/** IPv4-mapped IPv6 ("::ffff:127.0.0.1") as plain IPv4, so one client has one key. */
export function normalizeIp(ip: string): string {
  const trimmed = ip.trim().toLowerCase().slice(0, 64);
  return trimmed.startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice(7) : trimmed;
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
