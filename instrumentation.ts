// Runs once when the server starts (Node runtime only; middleware's edge
// runtime checks nothing here).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { exitOnBadConfig } = await import("./lib/boot-check");
    exitOnBadConfig();
  }
}
