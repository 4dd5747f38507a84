// bcrypt on worker threads. bcryptjs is pure JavaScript: its async mode still
// runs every round on the event loop, so one sign-in at cost 12 (a third of a second
// on a typical core) stalls every other request of the process, and sign-ins cannot use more
// than one core. This pool runs it on threads sized to the cores, with a
// bounded queue, at a lower CPU priority than the event loop, so pages stay
// responsive while passwords are checked.
//
// The worker is evaluated from source and loads bcryptjs by name, resolved from
// the working directory: the project root under `next dev`, `next start` and
// the CLI, the standalone folder for `node .next/standalone/server.js` (which
// changes into it; bcryptjs is in serverExternalPackages, so it is copied
// there). Nothing needs bundling, so all three run the same code.
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { getBcryptWorkers } from "../config";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const os = require("node:os");
const bcrypt = require("bcryptjs");
// Linux sets the nice value per thread: this thread yields to the event loop.
try { os.setPriority(0, 10); } catch {}
parentPort.on("message", ({ id, op, password, hashOrCost }) => {
  try {
    const result = op === "hash" ? bcrypt.hashSync(password, hashOrCost) : bcrypt.compareSync(password, hashOrCost);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

/**
 * Why the workers could not load bcryptjs from `directory` (the working
 * directory, as they do), or null. The server checks at start
 * (lib/server/boot-check.ts): a deployment without it, e.g. a standalone folder built
 * without its traced packages, stops there with this message instead of failing
 * every sign-in.
 */
export function passwordWorkerProblem(directory: string = process.cwd()): string | null {
  try {
    createRequire(path.join(directory, "noop.js")).resolve("bcryptjs");
    return null;
  } catch {
    return `The password workers cannot load bcryptjs from ${directory}: run the server from the project folder (npm start), or from a standalone folder that holds node_modules/bcryptjs (npm run build:standalone).`;
  }
}

/** More waiting sign-ins than this and new ones are turned away (HashingBusyError), not queued for ever. */
export const MAX_QUEUED_PER_WORKER = 64;

export class HashingBusyError extends Error {
  override name = "HashingBusyError";
  constructor() {
    super("Too many sign-ins at once. Try again in a moment.");
  }
}

type Job = { op: "hash" | "compare"; password: string; hashOrCost: string | number };
type Task = Job & { id: number; resolve: (value: string | boolean) => void; reject: (error: Error) => void };
type Slot = { worker: Worker; task: Task | null };

class PasswordWorkers {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;

  constructor(private readonly size: number) {}

  run(job: Job): Promise<string | boolean> {
    if (this.queue.length >= this.size * MAX_QUEUED_PER_WORKER) return Promise.reject(new HashingBusyError());
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, id: this.nextId++, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((candidate) => candidate.task === null) ?? this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      // A busy worker keeps the process alive (a CLI awaiting a hash); an idle one does not.
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, op: task.op, password: task.password, hashOrCost: task.hashOrCost });
    }
  }

  /** Starts a worker when there is room for one more, lazily: idle processes hold none. */
  private spawn(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    // bcrypt needs a few kilobytes: small heaps keep each worker's memory down.
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
    const slot: Slot = { worker, task: null };
    slot.worker.on("message", (message: { id: number; result?: string | boolean; error?: string }) => {
      const task = slot.task;
      slot.task = null;
      slot.worker.unref();
      if (task && task.id === message.id) {
        if (message.error !== undefined) task.reject(new Error(message.error));
        else task.resolve(message.result!);
      }
      this.dispatch();
    });
    // A worker that dies (out of memory, a bug) fails its one task and is replaced on demand.
    const fail = (error: Error) => {
      const index = this.slots.indexOf(slot);
      if (index === -1) return;
      this.slots.splice(index, 1);
      slot.task?.reject(error);
      slot.task = null;
      this.dispatch();
    };
    slot.worker.on("error", fail);
    slot.worker.on("exit", (code) => fail(new Error(`The password worker stopped (exit code ${code}).`)));
    this.slots.push(slot);
    return slot;
  }

  /** For tests: stops every worker; waiting jobs fail. */
  async close(): Promise<void> {
    for (const task of this.queue.splice(0)) task.reject(new Error("The password workers were stopped."));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }
}

// On globalThis: one pool per process, however many bundles import this module.
const globalForWorkers = globalThis as unknown as { keycardPasswordWorkers?: PasswordWorkers };

function pool(): PasswordWorkers {
  globalForWorkers.keycardPasswordWorkers ??= new PasswordWorkers(getBcryptWorkers());
  return globalForWorkers.keycardPasswordWorkers;
}

export async function hashOnWorker(password: string, cost: number): Promise<string> {
  return (await pool().run({ op: "hash", password, hashOrCost: cost })) as string;
}

export async function compareOnWorker(password: string, hash: string): Promise<boolean> {
  return (await pool().run({ op: "compare", password, hashOrCost: hash })) as boolean;
}

export async function closePasswordWorkers(): Promise<void> {
  await globalForWorkers.keycardPasswordWorkers?.close();
  delete globalForWorkers.keycardPasswordWorkers;
}
