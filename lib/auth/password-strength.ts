// How many guesses a password would take, estimated by zxcvbn-ts with its common
// and English dictionaries: a list of exact passwords misses a common word with
// digits appended, leetspeak, keyboard walks, runs of one character, sequences and
// words from the context, which NIST SP 800-63B-4 §3.1.1.2 asks to refuse too.
// Server only: the dictionaries are megabytes, and the browser gets none of them.
import "server-only";
import type { FeedbackType, ZxcvbnFactory } from "@zxcvbn-ts/core";

/** zxcvbn's score 3 and up: at least about 10^8 guesses, out of reach of online guessing. */
const MIN_SCORE = 3;

/** The product's name: a password built on it is one of the first an attacker tries here. */
const PRODUCT_NAME = "keycard";

// The matcher tries each dictionary on up to this many l33t-decoded variants of the
// password. The library's default of 100 held the event loop for hundreds of
// milliseconds on a 72-byte password; leetspeak is found on the first few variants.
const L33T_VARIANTS = 10;

// On globalThis: built once per process, however many bundles import this module.
const globalForEstimator = globalThis as unknown as { keycardPasswordEstimator?: Promise<ZxcvbnFactory> };

/**
 * Loads the dictionaries on first use, not at start: a process that never sets a
 * password (most requests are sign-ins) never pays for them.
 */
function estimator(): Promise<ZxcvbnFactory> {
  globalForEstimator.keycardPasswordEstimator ??= loadEstimator();
  return globalForEstimator.keycardPasswordEstimator;
}

async function loadEstimator(): Promise<ZxcvbnFactory> {
  const [{ ZxcvbnFactory }, common, english] = await Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
    import("@zxcvbn-ts/language-en"),
  ]);
  return new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    l33tMaxSubstitutions: L33T_VARIANTS,
  });
}

/**
 * Why the password is too easy to guess, in the estimator's own words (what is
 * wrong, then how to do better), or null when it would take enough guesses.
 */
export async function checkPasswordStrength(password: string, username: string): Promise<string | null> {
  const result = (await estimator()).check(password, username === "" ? [PRODUCT_NAME] : [username, PRODUCT_NAME]);
  return result.score >= MIN_SCORE ? null : describeWeakness(result.feedback);
}

/**
 * Two sentences at most. The first suggestion is always "Add more words that are
 * less common.", the advice that leads to a passphrase; the others ("Capitalize
 * more than the first letter.") lead to the composition tricks NIST advises against.
 */
function describeWeakness({ warning, suggestions }: FeedbackType): string {
  const advice = suggestions[0] ?? "Add more words that are less common.";
  return `${warning ?? "This password is easy to guess."} ${advice}`;
}
