import { describe, expect, it } from "vitest";
import { afterEach, vi } from "vitest";

import { clientIpFrom, describeUserAgent, parseIp, throttleNetwork } from "./client-address";

// The header instrumentation.ts fills from the socket; its name is random per process.
const PEER = "x-keycard-peer-0123456789abcdef";

function ipOf(headers: Record<string, string>, trustedProxies: number, peerHeader: string | undefined = PEER): string {
  return clientIpFrom(new Headers(headers), trustedProxies, peerHeader);
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("clientIpFrom", () => {
  it("without trusted proxies, ignores a client's X-Forwarded-For and uses the connection's peer", () => {
    expect(ipOf({ [PEER]: "198.51.100.9", "x-forwarded-for": "1.2.3.4" }, 0)).toBe("198.51.100.9");
    expect(ipOf({ [PEER]: "198.51.100.9" }, 0)).toBe("198.51.100.9");
  });

  it("behind one proxy, uses the rightmost X-Forwarded-For entry and ignores spoofed ones to its left", () => {
    const headers = { [PEER]: "10.0.0.2", "x-forwarded-for": "6.6.6.6, 7.7.7.7,203.0.113.7" };
    expect(ipOf(headers, 1)).toBe("203.0.113.7");
  });

  it("behind two proxies, uses the second entry from the right", () => {
    const headers = { [PEER]: "10.0.0.3", "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.2" };
    expect(ipOf(headers, 2)).toBe("203.0.113.7");
  });

  it("falls back to the peer when X-Forwarded-For is missing or shorter than the proxy chain", () => {
    expect(ipOf({ [PEER]: "10.0.0.2" }, 1)).toBe("10.0.0.2");
    expect(ipOf({ [PEER]: "10.0.0.2", "x-forwarded-for": "" }, 1)).toBe("10.0.0.2");
    expect(ipOf({ [PEER]: "10.0.0.2", "x-forwarded-for": " , " }, 1)).toBe("10.0.0.2");
    expect(ipOf({ [PEER]: "10.0.0.3", "x-forwarded-for": "203.0.113.7" }, 2)).toBe("10.0.0.3");
  });

  it("writes IPv4-mapped IPv6 addresses as plain IPv4, so one client has one key", () => {
    expect(ipOf({ [PEER]: "::ffff:1.2.3.4" }, 0)).toBe("1.2.3.4");
    expect(ipOf({ [PEER]: "10.0.0.2", "x-forwarded-for": "::FFFF:1.2.3.4" }, 1)).toBe("1.2.3.4");
    expect(parseIp("2001:DB8::1")).toBe("2001:db8::1");
    expect(parseIp("::ffff:c0a8:1")).toBe("192.168.0.1");
    expect(parseIp("0:0:0:0:0:ffff:c0a8:1")).toBe("192.168.0.1");
    expect(parseIp("fe80::1%eth0")).toBe("fe80::1");
  });

  it("without the peer header, says \"unknown\" rather than trust an X-Forwarded-For the client may have written", () => {
    // instrumentation.ts did not run: no header name at all.
    expect(ipOf({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }, 0, undefined)).toBe("unknown");
    // The hook ran, but this request carries no peer address.
    expect(ipOf({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }, 0, PEER)).toBe("unknown");
    expect(ipOf({}, 0, undefined)).toBe("unknown");
    // Behind a proxy whose entry is missing, the same.
    expect(ipOf({ "x-forwarded-for": "203.0.113.7" }, 2, undefined)).toBe("unknown");
  });

  it("ignores a forwarded entry that is not an IP address, uses the connection's, and says so in the log once a minute", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.useFakeTimers({ now: new Date("2026-12-03T10:00:00Z"), toFake: ["Date"] });
    for (const junk of ["not-an-ip", "1.2.3.4:5678", "[2001:db8::1]", "a".repeat(1000), "1.2.3.4.5", "256.1.1.1"]) {
      expect(ipOf({ [PEER]: "10.0.0.2", "x-forwarded-for": junk }, 1)).toBe("10.0.0.2");
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/ignored X-Forwarded-For entry "not-an-ip": not an IP address/);
    vi.setSystemTime(new Date("2026-12-03T10:01:00Z"));
    expect(ipOf({ [PEER]: "10.0.0.2", "x-forwarded-for": "still-not-an-ip" }, 1)).toBe("10.0.0.2");
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("never takes a peer header that is not an address", () => {
    expect(ipOf({ [PEER]: "a".repeat(1000) }, 0)).toBe("unknown");
  });
});

describe("throttleNetwork", () => {
  it("counts an IPv4 address as itself", () => {
    expect(throttleNetwork("203.0.113.7", 64)).toBe("203.0.113.7");
  });

  it("counts every IPv6 address of one /64 as one network, and other /64s apart", () => {
    const network = throttleNetwork("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64);
    expect(network).toBe("2001:db8:1:2::/64");
    expect(throttleNetwork("2001:db8:1:2::1", 64)).toBe(network);
    expect(throttleNetwork("2001:db8:1:3::1", 64)).not.toBe(network);
  });

  it("takes a shorter prefix when configured, down to /48", () => {
    expect(throttleNetwork("2001:db8:1:2::1", 48)).toBe("2001:db8:1:0::/48");
    expect(throttleNetwork("2001:db8:1:ffff::1", 48)).toBe("2001:db8:1:0::/48");
    expect(throttleNetwork("2001:db8:1:12ff::1", 56)).toBe("2001:db8:1:1200::/56");
    expect(throttleNetwork("::1", 64)).toBe("0:0:0:0::/64");
  });

  it("leaves \"unknown\" as it is", () => {
    expect(throttleNetwork("unknown", 64)).toBe("unknown");
  });
});

describe("describeUserAgent", () => {
  it.each([
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      "Chrome on Linux",
    ],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      "Safari on iOS",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
      "Safari on macOS",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    ["curl/8.5.0", "curl"],
  ])("describes %j as %j", (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });

  it("says so when there is no user agent", () => {
    expect(describeUserAgent(null)).toBe("Unknown device");
    expect(describeUserAgent("")).toBe("Unknown device");
  });

  it("shows the start of an agent it does not recognise", () => {
    expect(describeUserAgent("python-requests/2.32.3")).toBe("python-requests/2.32.3");
    expect(describeUserAgent("x".repeat(100))).toBe("x".repeat(40));
  });
});
