import { ConfigError, getSessionConfig } from "./env";
import { passwordWorkerProblem } from "./password-workers";
import { peerAddressProblem } from "./peer-address";

/**
 * A server with a bad configuration must not come up at all, rather than answer
 * every request with an error. Node runtime only (see instrumentation.ts).
 */
export function exitOnBadConfig(): void {
  const problem = configProblem() ?? passwordWorkerProblem() ?? peerAddressProblem();
  if (problem === null) return;
  console.error(problem);
  process.exit(1);
}

function configProblem(): string | null {
  try {
    getSessionConfig();
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}
