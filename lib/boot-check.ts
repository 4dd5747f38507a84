import { ConfigError, getSessionConfig } from "./env";
import { passwordWorkerProblem } from "./password-workers";

/**
 * A server with a bad configuration must not come up at all, rather than answer
 * every request with an error. Node runtime only (see instrumentation.ts).
 */
export function exitOnBadConfig(): void {
  try {
    getSessionConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const problem = passwordWorkerProblem();
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
