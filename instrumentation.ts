// Runs once when the server starts (Node runtime only; middleware's edge
// runtime needs neither).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { exitOnBadConfig } = await import("./lib/boot-check");
    exitOnBadConfig();
    const { installPeerAddressHeader } = await import("./lib/peer-address");
    installPeerAddressHeader();
    const { installGracefulShutdown } = await import("./lib/shutdown");
    installGracefulShutdown();
  }
}
