// authenticate() when every password worker is taken: the refusal is the
// server's load, not the client's guess, so it must cost the client nothing.
// The workers are replaced here by ones that can be made to answer "busy".
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { authenticate } from "./sign-in";
import { HashingBusyError } from "./password-workers";
import { clearActivity, clearDatabase, failuresOf, skipRandomPruning } from "../../test/db";
import { createUser, type PublicUser } from "./accounts";

const busy = vi.hoisted(() => ({ now: false }));

vi.mock("./password-workers", async (importOriginal) => {
  const real = await importOriginal<typeof import("./password-workers")>();
  return {
    ...real,
    compareOnWorker: (password: string, hash: string) =>
      busy.now ? Promise.reject(new real.HashingBusyError()) : real.compareOnWorker(password, hash),
  };
});

const PASSWORD = "correct horse battery staple";
const HOME = { ip: "203.0.113.7", userAgent: null };

let alice: PublicUser;

beforeAll(async () => {
  await clearDatabase();
  alice = await createUser("alice", PASSWORD);
});

beforeEach(async () => {
  await clearActivity();
  busy.now = false;
});

skipRandomPruning();

describe("authenticate while the password workers are full", () => {
  it("gives the attempt back to the account and the network, so a flood never locks out the right password", async () => {
    // One fixed moment, so the network's 10-minute window cannot turn over mid-test.
    vi.useFakeTimers({ now: new Date("2030-01-01T00:05:00Z"), toFake: ["Date"] });
    busy.now = true;
    for (let i = 0; i < 10; i++) {
      await expect(authenticate({ username: "alice", password: PASSWORD }, HOME)).rejects.toBeInstanceOf(HashingBusyError);
    }
    expect(await failuresOf("account:alice")).toBe(0);
    expect(await failuresOf(`ip:${HOME.ip}`)).toBe(0);
    expect(await failuresOf(`signins:${HOME.ip}@${Math.floor(Date.now() / 600_000)}`)).toBe(0);

    busy.now = false;
    expect(await authenticate({ username: "alice", password: PASSWORD }, HOME)).toMatchObject({ ...alice, secondFactor: false });
    vi.useRealTimers();
  });

  it("leaves real failures counted", async () => {
    for (let i = 0; i < 3; i++) expect(await authenticate({ username: "alice", password: `guess ${i}` }, HOME)).toBeNull();
    busy.now = true;
    await expect(authenticate({ username: "alice", password: "guess 3" }, HOME)).rejects.toBeInstanceOf(HashingBusyError);
    expect(await failuresOf("account:alice")).toBe(3);
  });
});
