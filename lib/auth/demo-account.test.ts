import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { db } from "../db/client";
import { demoAccountProblem } from "./demo-account";
import { closePasswordWorkers } from "./password-workers";
import { clearDatabase } from "../../test/db";

async function insertAccount(username: string, password: string): Promise<void> {
  await db.user.create({ data: { username, passwordHash: bcrypt.hashSync(password, 4) } });
}

beforeEach(async () => {
  await clearDatabase();
  vi.stubEnv("NODE_ENV", "production");
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await closePasswordWorkers();
});

describe("demoAccountProblem", () => {
  it("stops a production server whose demo account still has the demo password, naming the account and the fixes", async () => {
    await insertAccount("user1", "password123");
    const problem = await demoAccountProblem();
    expect(problem).toContain('the account "user1"');
    expect(problem).toContain('demo password "password123"');
    expect(problem).toContain("npm run users -- passwd user1");
    expect(problem).toContain("npm run users -- remove user1");
    expect(problem).toContain("DATABASE_URL");
  });

  it("lets it start when the account has another password, or is not there", async () => {
    expect(await demoAccountProblem()).toBeNull();
    await insertAccount("user1", "lantern-orbit-5729");
    expect(await demoAccountProblem()).toBeNull();
  });

  it("checks only the demo account: another account with the demo password is the policy's business", async () => {
    await insertAccount("user2", "password123");
    expect(await demoAccountProblem()).toBeNull();
  });

  it("leaves development alone: there the demo account is the point", async () => {
    await insertAccount("user1", "password123");
    vi.stubEnv("NODE_ENV", "development");
    expect(await demoAccountProblem()).toBeNull();
  });
});
