// Runs once when the server starts, on the Node.js runtime (the edge runtime
// has no diagnostics channels, signals or SQLite).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { exitOnBadConfig } = await import("./lib/boot-check");
    await exitOnBadConfig();
    const { getSessionOptions } = await import("./lib/session-config");
    const { installSessionHandoff } = await import("./lib/session-handoff");
    installSessionHandoff(getSessionOptions().cookieName);
    const { installGracefulShutdown } = await import("./lib/shutdown");
    installGracefulShutdown();
  }
}
