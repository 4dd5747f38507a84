// Graceful shutdown of `next start` (Node runtime; instrumentation.ts installs it).
// Next.js 16 handles SIGTERM and SIGINT itself (next/dist/server/lib/start-server.js):
// it stops accepting connections, lets the requests in flight finish, then calls
// process.exit(143), or 130 for SIGINT. What it leaves to us:
// - the database: closed in an 'exit' handler (better-sqlite3 closes
//   synchronously), so the last connection folds the WAL into the database file
//   and removes the -wal and -shm files; nothing is left half-written;
// - keep-alive connections: Next.js's server.close() waits for every open
//   connection, and an idle keep-alive one only goes after Node's 5 s
//   keepAliveTimeout; closing them as soon as they are idle makes a stop take as
//   long as the slowest request in flight, not that plus 5 s;
// - a bound: one request that never finishes would hold the shutdown forever;
//   after SHUTDOWN_TIMEOUT_MS the process closes the database and exits anyway;
// - the exit code: 143 reads as a failure to npm (which prints an error for it)
//   and to supervisors; a shutdown that finished cleanly exits 0.
// `npm start` must hand the signal on to Next.js: package.json's "exec next start".
import { subscribe } from "node:diagnostics_channel";
import type { Server } from "node:http";
import { closeAllConnections } from "../db/sqlite-file";

/**
 * Below Docker's default of 10 s between SIGTERM and SIGKILL, so the forced exit
 * still closes the database properly.
 */
export const SHUTDOWN_TIMEOUT_MS = 8000;

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGTERM: 143, SIGINT: 130 };

const IDLE_CHECK_INTERVAL_MS = 100;

const globalForShutdown = globalThis as unknown as { keycardShutdown?: boolean };

export function installGracefulShutdown(): void {
  if (globalForShutdown.keycardShutdown) return;
  globalForShutdown.keycardShutdown = true;

  // Next.js does not hand out its HTTP server; Node names it with every request.
  const servers = new Set<Server>();
  subscribe("http.server.request.start", (message) => servers.add((message as { server: Server }).server));

  let signalled: NodeJS.Signals | null = null;
  // NEXT_MANUAL_SIG_HANDLE: whoever set it handles signals; only the closing is ours.
  if (!process.env.NEXT_MANUAL_SIG_HANDLE) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        if (signalled) return;
        signalled = signal;
        console.log(`keycard: ${signal}: finishing the requests in flight, then closing the database`);
        setInterval(() => {
          for (const server of servers) server.closeIdleConnections();
        }, IDLE_CHECK_INTERVAL_MS).unref();
        setTimeout(() => {
          console.error(`keycard: requests still running ${SHUTDOWN_TIMEOUT_MS / 1000} s after ${signal}; exiting anyway`);
          process.exit(1);
        }, SHUTDOWN_TIMEOUT_MS).unref();
      });
    }
  }

  process.on("exit", (code) => {
    try {
      closeAllConnections();
    } catch (error) {
      console.error("keycard: closing the database failed:", error instanceof Error ? error.message : error);
      process.exitCode = 1;
      return;
    }
    if (signalled && code === SIGNAL_EXIT_CODES[signalled]) process.exitCode = 0;
  });
}
