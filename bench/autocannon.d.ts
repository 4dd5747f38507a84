// The part of autocannon's programmatic API that bench/load.ts and bench/paired-cpu.ts use
// (autocannon 9 ships no types; its README documents these fields).
declare module "autocannon" {
  type Options = {
    url: string;
    connections?: number;
    /** Stop after this many requests (takes precedence over duration). */
    amount?: number;
    /** Seconds to run (10 by default). */
    duration?: number;
    /** Seconds to wait for each response. */
    timeout?: number;
    headers?: Record<string, string>;
    /** Bodies it returns false for are counted in `mismatches`. */
    verifyBody?: (body: string) => boolean;
  };

  type Histogram = { average: number; min: number; max: number; p50: number; p90: number; p99: number };

  type Result = {
    /** Seconds. */
    duration: number;
    requests: Histogram & { total: number; sent: number };
    /** Milliseconds. */
    latency: Histogram;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  };

  export default function autocannon(options: Options): Promise<Result>;
}
