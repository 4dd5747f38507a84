// Runs once when the server starts, on the Node.js runtime: refuse to serve with
// a bad configuration, and stop gracefully on SIGTERM.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { exitOnBadConfig } = await import("./lib/server/boot-check");
    await exitOnBadConfig();
    const { installGracefulShutdown } = await import("./lib/server/shutdown");
    installGracefulShutdown();
  }
}
