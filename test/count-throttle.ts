// Run by lib/db/client.test.ts as a process of its own, as another Keycard
// instance on the same database (DATABASE_URL) would be: counts one throttle
// key COUNT times through lib/db/throttle.ts, five at a time, once the parent
// writes a line to stdin. Exits 1 on any error. Five, not all at once: a
// hundred writes queued on one key on a loaded machine outlast the pool's
// 5 s wait for a connection, which the app rightly answers with a 503.
// Usage: tsx --conditions=react-server test/count-throttle.ts KEY COUNT
import { db, disconnect } from "../lib/db/client";
import { updateThrottleRows } from "../lib/db/throttle";

const [key = "", count = "0"] = process.argv.slice(2);

// Connected before it says so, so that the counting starts together.
await db.throttle.count();
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));

const now = new Date();
const countOnce = () =>
  updateThrottleRows([key], ([row]) => ({
    write: [{ key, failures: (row?.failures ?? 0) + 1, blockedUntil: null, updatedAt: now }],
    remove: [],
    result: undefined,
  }));
let left = Number(count);
async function lane(): Promise<void> {
  while (left-- > 0) await countOnce();
}
await Promise.all(Array.from({ length: 5 }, lane));
await disconnect();
