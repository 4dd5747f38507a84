// A private nginx in front of test instances, running the load balancer config
// the docs ship (docs/nginx.conf): the file is copied with only what any reader
// changes too (the instances' addresses, the ports, the certificate), so what is
// tested is what is shipped. Debian's nginx, as a child process of the test run,
// everything under a folder of its own.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { freePort } from "../scripts/free-port";
import { expect } from "./fixtures";

const NGINX = "/usr/sbin/nginx";
const SHIPPED_CONFIG = path.join(process.cwd(), "docs", "nginx.conf");

/** Why no balancer can start here, or null when one can. */
export function whyNoNginx(): string | null {
  if (!existsSync(NGINX)) return `nginx is not installed (${NGINX}; apt-get install -y nginx)`;
  if (!existsSync("/usr/bin/openssl")) return "openssl is not installed (the balancer's test certificate)";
  return null;
}

export type Balancer = {
  /** https://localhost:PORT: the TLS server of docs/nginx.conf. */
  origin: string;
  /** http://localhost:PORT: its plain HTTP server, which sends browsers to HTTPS. */
  plainOrigin: string;
  /** Everything nginx printed (its error log). */
  output: () => string;
  stop: () => Promise<void>;
};

/** What the test changes in docs/nginx.conf, as a reader would. */
type Substitutions = { upstreams: string[]; httpsPort: number; httpPort: number; certificate: string; key: string };

/**
 * docs/nginx.conf with the test's addresses, ports and certificate. Each edit
 * must match exactly as often as expected: a change to the shipped file's shape
 * fails here instead of testing something else.
 */
export function balancerConfig(shipped: string, { upstreams, httpsPort, httpPort, certificate, key }: Substitutions): string {
  let config = shipped;
  const replace = (pattern: RegExp, expected: number, replacement: (match: string, ...groups: string[]) => string) => {
    const found = config.match(new RegExp(pattern.source, "gm"))?.length ?? 0;
    if (found !== expected) throw new Error(`docs/nginx.conf: expected ${expected} line(s) matching ${pattern}, found ${found}.`);
    config = config.replace(new RegExp(pattern.source, "gm"), replacement);
  };
  // Every `server host:port ...;` of the upstream block, replaced by one line per test instance with the same parameters.
  const serverLines = [...config.matchAll(/^(\s*)server \S+:\d+( [^;]*)?;$/gm)];
  if (serverLines.length < 2) throw new Error("docs/nginx.conf: expected two or more upstream server lines.");
  const [indent, parameters] = [serverLines[0]![1] ?? "", serverLines[0]![2] ?? ""];
  let first = true;
  replace(/^\s*server \S+:\d+( [^;]*)?;$/, serverLines.length, () => {
    if (!first) return "";
    first = false;
    return upstreams.map((address) => `${indent}server ${address}${parameters};`).join("\n");
  });
  replace(/^(\s*)listen 443 ssl;$/, 1, (_, space) => `${space}listen ${httpsPort} ssl;`);
  replace(/^(\s*)listen 80;$/, 1, (_, space) => `${space}listen ${httpPort};`);
  replace(/^(\s*)ssl_certificate \S+;$/, 1, (_, space) => `${space}ssl_certificate ${certificate};`);
  replace(/^(\s*)ssl_certificate_key \S+;$/, 1, (_, space) => `${space}ssl_certificate_key ${key};`);
  return config;
}

/**
 * nginx's own configuration around the shipped file: everything in `folder`,
 * and two test-only additions at `http` level, which the shipped server blocks
 * inherit because they set no headers of their own: X-Upstream names the
 * instance that answered, and the access log says the same for each request.
 */
function mainConfig(folder: string): string {
  const temp = (name: string) => `${name}_temp_path ${path.join(folder, "temp", name)};`;
  return `
worker_processes 1;
events { worker_connections 256; }
http {
    ${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(temp).join("\n    ")}
    log_format upstreams '$request_method $request_uri $status upstream=$upstream_addr upstream_status=$upstream_status';
    access_log ${path.join(folder, "access.log")} upstreams;
    add_header X-Upstream $upstream_addr always;
    include ${path.join(folder, "keycard.conf")};
}
`;
}

/** A self-signed certificate for localhost and the loopback addresses, valid for a day. */
function makeCertificate(folder: string): { certificate: string; key: string } {
  const certificate = path.join(folder, "cert.pem");
  const key = path.join(folder, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2",
    "-keyout", key, "-out", certificate,
  ], { stdio: "pipe" });
  return { certificate, key };
}

/** Starts nginx in front of `upstreams` (host:port each); resolves once it answers GET /api/health. */
export async function startBalancer(upstreams: string[]): Promise<Balancer> {
  const folder = mkdtempSync(path.join(os.tmpdir(), "keycard-nginx-"));
  // As root nginx runs its workers as "nobody", which must reach its temp folders.
  chmodSync(folder, 0o755);
  mkdirSync(path.join(folder, "temp"));
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const { certificate, key } = makeCertificate(folder);
  const shipped = readFileSync(SHIPPED_CONFIG, "utf8");
  writeFileSync(path.join(folder, "keycard.conf"), balancerConfig(shipped, { upstreams, httpsPort, httpPort, certificate, key }));
  writeFileSync(path.join(folder, "nginx.conf"), mainConfig(folder));

  let output = "";
  const child = spawn(NGINX, ["-p", folder, "-c", path.join(folder, "nginx.conf"), "-e", "stderr", "-g", `daemon off; pid ${path.join(folder, "nginx.pid")};`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");
  const origin = `https://localhost:${httpsPort}`;
  let stopped: Promise<void> | null = null;
  const stop = async () => {
    // SIGQUIT: nginx's graceful stop.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGQUIT");
    await exited;
    rmSync(folder, { recursive: true, force: true });
  };
  const balancer = { origin, plainOrigin: `http://localhost:${httpPort}`, output: () => output, stop: () => (stopped ??= stop()) };
  try {
    await expect
      .poll(async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${output}`);
        return healthThroughTls(httpsPort);
      }, { timeout: 30_000, intervals: [100, 250, 500] })
      .toBe(200);
  } catch (error) {
    await balancer.stop();
    throw error;
  }
  return balancer;
}

/** GET /api/health through the balancer's TLS port, trusting its throwaway certificate; 0 when nothing answers. */
function healthThroughTls(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = https.get({ host: "127.0.0.1", port, path: "/api/health", rejectUnauthorized: false, headers: { Host: `localhost:${port}` } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(0));
  });
}
