import { checkConfig, ConfigError } from "../config";
import { demoAccountProblem } from "../auth/demo-account";
import { passwordWorkerProblem } from "../auth/password-workers";
import { peerAddressProblem } from "../http/peer-address";

/**
 * A server with a bad configuration must not come up at all, rather than answer
 * every request with an error, or let anyone in with the README's demo password.
 * Node runtime only (see instrumentation.ts).
 */
export async function exitOnBadConfig(): Promise<void> {
  const problem = configProblem() ?? passwordWorkerProblem() ?? peerAddressProblem() ?? (await demoAccountProblem());
  if (problem === null) return;
  console.error(problem);
  process.exit(1);
}

function configProblem(): string | null {
  try {
    checkConfig();
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}
