// A throwaway PostgreSQL cluster for a test run: its own folder under the
// system's temporary folder, its own port, trust authentication on 127.0.0.1
// only, stopped and removed at the end. initdb refuses to run as root, so as
// root the cluster runs as the "postgres" user, in a folder it owns.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port";

export type Postgres = {
  url: string;
  /** Stops the server and removes the cluster, data and all. Safe to call more than once. */
  stop: () => void;
  /** Stops the server as an operator would (fast shutdown: every connection cut), keeping the data. */
  stopServer: () => void;
  /** Starts a server stopped by stopServer() again: the same port, the same data. */
  startServer: () => void;
};

/** Where PostgreSQL's server programs are (Debian: /usr/lib/postgresql/<version>/bin), or null. */
function postgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((name) => existsSync(path.join(root, name, "bin", "initdb")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin") : null;
}

/** Why no cluster can start here, or null when one can. */
export function whyNoPostgres(): string | null {
  if (!postgresBin()) return "PostgreSQL's server programs are not installed (apt-get install -y postgresql)";
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"]).status !== 0) return 'no "postgres" user to run the cluster as';
  return null;
}

/** `port`: where to listen; by default a free one. */
export async function startPostgres({ port: chosenPort }: { port?: number } = {}): Promise<Postgres> {
  const bin = postgresBin();
  if (!bin) throw new Error(whyNoPostgres() ?? "no PostgreSQL");
  const folder = mkdtempSync(path.join(os.tmpdir(), "keycard-pg-"));
  const data = path.join(folder, "data");
  mkdirSync(data);
  const asRoot = process.getuid?.() === 0;
  // The server's socket and log live in the folder; as root it belongs to postgres.
  const run = (program: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(bin, program), asRoot ? ["-u", "postgres", "--", path.join(bin, program), ...args] : args, { stdio: "pipe" });
  if (asRoot) {
    const [uid, gid] = ["-u", "-g"].map((flag) => Number(execFileSync("id", [flag, "postgres"]).toString()));
    chmodSync(folder, 0o755);
    for (const owned of [folder, data]) chownSync(owned, uid!, gid!);
  }
  // pg_ctl starts the server detached: should this process end first, the
  // exit hook still stops it. Safe to call more than once.
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", stop);
    try {
      if (existsSync(path.join(data, "postmaster.pid"))) run("pg_ctl", ["-D", data, "-m", "immediate", "stop"]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  process.once("exit", stop);
  let port: number;
  // pg_ctl passes -o through a shell: the folder is quoted.
  const startServer = () =>
    run("pg_ctl", ["-D", data, "-w", "-o", `-p ${port} -k '${folder}' -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", path.join(folder, "log"), "start"]);
  try {
    run("initdb", ["-D", data, "-A", "trust", "-U", "keycard", "--no-sync"]);
    port = chosenPort ?? (await freePort());
    startServer();
  } catch (error) {
    stop();
    throw error;
  }
  const stopServer = () => run("pg_ctl", ["-D", data, "-w", "-m", "fast", "stop"]);
  return { url: `postgresql://keycard@127.0.0.1:${port}/postgres`, stop, stopServer, startServer };
}
