import bcrypt from "bcryptjs";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getBcryptWorkers } from "../config";

import {
  closePasswordWorkers,
  compareOnWorker,
  HashingBusyError,
  hashOnWorker,
  MAX_QUEUED_PER_WORKER,
  passwordWorkerProblem,
} from "./password-workers";

const pool = () =>
  (globalThis as unknown as { keycardPasswordWorkers?: { slots: { worker: { threadId: number; terminate(): Promise<number> } }[] } })
    .keycardPasswordWorkers;

afterEach(async () => {
  await closePasswordWorkers();
});

describe("password workers", () => {
  it("hash and compare on worker threads, agreeing with bcryptjs", async () => {
    const hash = await hashOnWorker("lantern-orbit-5729", 4);
    expect(bcrypt.getRounds(hash)).toBe(4);
    expect(bcrypt.compareSync("lantern-orbit-5729", hash)).toBe(true);
    expect(await compareOnWorker("lantern-orbit-5729", hash)).toBe(true);
    expect(await compareOnWorker("lantern-orbit-5728", hash)).toBe(false);
    // The work ran on another thread than this one.
    const threads = pool()!.slots.map((slot) => slot.worker.threadId);
    expect(threads.length).toBeGreaterThan(0);
    expect(threads).not.toContain(0);
  });

  it("start lazily, and never more workers than configured", async () => {
    expect(pool()).toBeUndefined();
    const hashes = await Promise.all(Array.from({ length: 3 * getBcryptWorkers() }, (_, i) => hashOnWorker(`password ${i}`, 4)));
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(pool()!.slots.length).toBeLessThanOrEqual(getBcryptWorkers());
  });

  it("turn jobs away beyond the bounded queue instead of queueing for ever", async () => {
    const jobs = Array.from({ length: getBcryptWorkers() * (MAX_QUEUED_PER_WORKER + 1) + 1 }, () =>
      hashOnWorker("queued password", 4).then(
        () => "done",
        (error: unknown) => (error instanceof HashingBusyError ? "busy" : "failed"),
      ),
    );
    const outcomes = await Promise.all(jobs);
    expect(outcomes).toContain("busy");
    expect(outcomes).not.toContain("failed");
    expect(outcomes.filter((outcome) => outcome === "done").length).toBeGreaterThanOrEqual(getBcryptWorkers() * MAX_QUEUED_PER_WORKER);
  });

  it("a worker that dies fails only its own job, and the pool carries on", async () => {
    const hash = await hashOnWorker("survivor password", 4);
    // Cost 12 (~250 ms): the job is surely still running when its worker is
    // killed. At cost 4 it could finish first, and the test would fail by luck.
    const slowHash = bcrypt.hashSync("x", 12);
    const running = compareOnWorker("survivor password", slowHash).catch((error: Error) => error);
    await pool()!.slots[0]!.worker.terminate();
    const outcome = await running;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/password worker stopped/);
    expect(await compareOnWorker("survivor password", hash)).toBe(true);
  });

  it("size: one per core by default, BCRYPT_WORKERS overrides, between 1 and 16", () => {
    expect(getBcryptWorkers({})).toBeGreaterThanOrEqual(1);
    expect(getBcryptWorkers({ BCRYPT_WORKERS: "3" })).toBe(3);
    // A bad value stops the start (lib/config.ts checkConfig) rather than being quietly replaced.
    for (const value of ["0", "nonsense", "500"]) {
      expect(() => getBcryptWorkers({ BCRYPT_WORKERS: value })).toThrow(/BCRYPT_WORKERS must be an integer from 1 to 16 .*e\.g\. BCRYPT_WORKERS=/);
    }
  });
});

describe("passwordWorkerProblem", () => {
  it("is null where bcryptjs resolves (the project folder)", () => {
    expect(passwordWorkerProblem(process.cwd())).toBeNull();
  });

  it("names the folder and the fix where it does not", () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "keycard-no-bcrypt-"));
    try {
      expect(passwordWorkerProblem(empty)).toMatch(/cannot load bcryptjs from .*keycard-no-bcrypt-.*build:standalone/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
