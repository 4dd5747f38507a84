// What the property-based fuzz tests (lib/fuzz.test.ts, e2e/fuzz.spec.ts) share:
// how many cases they run, from which seed, and the input generators both use.
//
// By default every run uses the same seed and a modest number of cases, so CI
// stays fast and a red build means a change broke something, not that the dice
// found a new input. `npm run test:fuzz` runs many more cases from a fresh seed.
// A failure prints its seed; FUZZ_SEED=<that seed> replays the same inputs.
import fc from "fast-check";

const DEFAULT_SEED = 20261127;

export type FuzzSettings = { numRuns: number; seed?: number };

/** FUZZ_RUNS when set, else `defaultRuns`; FUZZ_SEED as a number, "random" for a fresh one, else the fixed seed. */
export function fuzzSettings(defaultRuns: number, env: Record<string, string | undefined> = process.env): FuzzSettings {
  const numRuns = env.FUZZ_RUNS ? Number(env.FUZZ_RUNS) : defaultRuns;
  if (!Number.isInteger(numRuns) || numRuns < 1) {
    throw new Error(`test-fuzz: FUZZ_RUNS must be a positive integer (got "${env.FUZZ_RUNS}").`);
  }
  const rawSeed = env.FUZZ_SEED ?? "";
  if (rawSeed === "random") return { numRuns };
  const seed = rawSeed === "" ? DEFAULT_SEED : Number(rawSeed);
  if (!Number.isInteger(seed)) throw new Error(`test-fuzz: FUZZ_SEED must be an integer or "random" (got "${rawSeed}").`);
  return { numRuns, seed };
}

/**
 * fc.assert's parameters. On failure fast-check prints the seed and the shrunk
 * counterexample; the error inside goes into that report, so it reads on its own.
 */
export function fuzzParameters<Ts>(defaultRuns: number): fc.Parameters<Ts> {
  const { numRuns, seed } = fuzzSettings(defaultRuns);
  return { numRuns, ...(seed === undefined ? {} : { seed }), includeErrorInReport: true };
}

// Arbitraries both levels use.

/** Text of every kind: printable, any UTF-16 (lone surrogates too), whole graphemes. */
export const anyText = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));

/** Characters a header value may hold (Headers and HTTP clients refuse the rest before the server sees them). */
export const headerText = (maxLength = 40) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength });

/** Strings assembled mostly from `pieces`, some random characters between, so the tricky cases come up often. */
export function assembled(pieces: string[], maxParts = 8): fc.Arbitrary<string> {
  const part = fc.oneof({ arbitrary: fc.constantFrom(...pieces), weight: 4 }, { arbitrary: fc.string({ unit: "binary", maxLength: 3 }), weight: 1 });
  return fc.array(part, { maxLength: maxParts }).map((parts) => parts.join(""));
}
