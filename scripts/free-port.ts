// A TCP port free on 127.0.0.1 at the moment of asking, for the servers tests
// and benchmarks start (Keycard's, PostgreSQL's).
import { once } from "node:events";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("freePort: found no free port.");
  return address.port;
}
