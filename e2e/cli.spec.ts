// The operator CLI (`npm run users`) against the database the live server uses:
// what an operator does there must take effect on the site at once.
import { randomBytes } from "node:crypto";
import { execute, queryRows } from "./database";
import {
  createUser,
  expect,
  expectSentToSignIn,
  runUsersCli,
  securityEvents,
  serverDatabase,
  test,
  userIdOf,
  withSession,
  type CliResult,
} from "./fixtures";

function newName(): string {
  return `cli-${randomBytes(5).toString("hex")}`;
}

function newPassword(): string {
  return `Correct-Horse-${randomBytes(6).toString("hex")}`;
}

/**
 * Two-factor authentication on for the user, written to the database as
 * confirming set-up leaves it. The secret and the code's hash are never read
 * (these tests send no code), so any text stands for them.
 */
function turnOnTwoFactor(userId: number): void {
  const now = new Date().toISOString();
  execute(serverDatabase(), 'UPDATE "User" SET "totpSecret" = ?, "totpEnabledAt" = ?, "totpLastUsedStep" = ? WHERE "id" = ?', ["v1.1.unread", now, 0, userId]);
  execute(serverDatabase(), 'INSERT INTO "RecoveryCode" ("userId", "codeHash", "createdAt") VALUES (?, ?, ?)', [userId, "v1.1.unread", now]);
}

function expectSuccess(result: CliResult): void {
  expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
}

function expectFailure(result: CliResult, message: string | RegExp): void {
  expect(result.status, `stdout: ${result.stdout}`).not.toBe(0);
  expect(result.status).not.toBeNull();
  expect(result.stderr).toMatch(message);
}

test.describe("npm run users", () => {
  test("add --password-stdin creates a user who can then sign in", async ({ request }) => {
    const username = newName();
    const password = newPassword();
    expectSuccess(runUsersCli(["add", username, "--password-stdin"], `${password}\n`));

    const response = await request.post("/api/session", { data: { username, password } });
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ user: { username } });
  });

  test("add refuses a name already taken, whatever its case", () => {
    const username = newName();
    expectSuccess(runUsersCli(["add", username, "--password-stdin"], `${newPassword()}\n`));
    expectFailure(runUsersCli(["add", username.toUpperCase(), "--password-stdin"], `${newPassword()}\n`), /taken/);
  });

  const POLICY: Array<{ rule: string; password: (username: string) => string; message: RegExp }> = [
    { rule: "shorter than 12 characters", password: () => "short-pw-1", message: /at least 12 characters/ },
    // 40 characters but 80 bytes: bcrypt would silently drop the tail.
    { rule: "over 72 bytes", password: () => "é".repeat(40), message: /72 bytes/ },
    { rule: "containing the username", password: (username) => `My-${username.toUpperCase()}-pass`, message: /must not contain the username/ },
    // On the shipped list of common passwords (lib/auth/data/common-passwords.txt), in any case.
    { rule: "that is too common", password: () => "1QAZ2WSX3EDC", message: /too common/ },
    // Not on the list, but the strength estimate's: what is wrong, and how to do better.
    { rule: "that is easy to guess", password: () => "keycard123456", message: /^users: There should not be any personal or page related data\. Add more words that are less common\.$/m },
  ];
  for (const { rule, password, message } of POLICY) {
    test(`add refuses a password ${rule}, and creates nobody`, async ({ request }) => {
      const username = newName();
      const chosen = password(username);
      expectFailure(runUsersCli(["add", username, "--password-stdin"], `${chosen}\n`), message);
      const response = await request.post("/api/session", { data: { username, password: chosen } });
      expect(response.status()).not.toBe(200);
    });
  }

  test("list shows a user that was added", () => {
    const username = newName();
    expectSuccess(runUsersCli(["add", username, "--password-stdin"], `${newPassword()}\n`));
    const list = runUsersCli(["list"]);
    expectSuccess(list);
    expect(list.stdout.split("\n").some((line) => line.split("\t")[0] === username)).toBe(true);
  });

  test("passwd replaces the password: the old one fails, the new one works", async ({ request, user }) => {
    const replacement = newPassword();
    expectSuccess(runUsersCli(["passwd", user.username, "--password-stdin"], `${replacement}\n`));

    const old = await request.post("/api/session", { data: { username: user.username, password: user.password } });
    expect(old.status()).toBe(401);
    const fresh = await request.post("/api/session", { data: { username: user.username, password: replacement } });
    expect(fresh.status()).toBe(200);
  });

  // Whoever holds a session opened with the old password (a thief included) is out.
  test("passwd signs the user out everywhere: a live cookie gets 401 at once", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(200);

    const result = runUsersCli(["passwd", user.username, "--password-stdin"], `${newPassword()}\n`);
    expectSuccess(result);
    expect(result.stdout).toContain("1 session(s) signed out");

    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
    await expectSentToSignIn(await request.get("/dashboard", { maxRedirects: 0, headers: withSession(seal) }), "/dashboard", "Welcome");
  });

  test("passwd refuses an easy-to-guess password: the old one still works", async ({ request, user }) => {
    expectFailure(runUsersCli(["passwd", user.username, "--password-stdin"], "qazwsxedc2024\n"), /similar to a commonly used password/);
    expect((await request.post("/api/session", { data: { username: user.username, password: "qazwsxedc2024" } })).status()).toBe(401);
    expect((await request.post("/api/session", { data: user })).status()).toBe(200);
  });

  test("passwd of an unknown user fails with a message", () => {
    expectFailure(runUsersCli(["passwd", newName(), "--password-stdin"], `${newPassword()}\n`), /No user named/);
  });

  test("revoke signs the user out everywhere and leaves the password alone", async ({ request, user, signInThroughApi }) => {
    const seals = [await signInThroughApi(user), await signInThroughApi(user, { remember: true })];
    const other = await signInThroughApi(createUser("bystander"));

    const result = runUsersCli(["revoke", user.username.toUpperCase()]);
    expectSuccess(result);
    expect(result.stdout).toContain(`Signed ${user.username} out everywhere (2 session(s) ended).`);

    for (const seal of seals) expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
    // Nobody else is touched, and the user may sign in again with the same password.
    expect((await request.get("/api/session", { headers: withSession(other) })).status()).toBe(200);
    const again = await signInThroughApi(user);
    expect((await request.get("/api/session", { headers: withSession(again) })).status()).toBe(200);
  });

  test("revoke of an unknown user fails with a message", () => {
    expectFailure(runUsersCli(["revoke", newName()]), /No user named/);
  });

  // For a user who lost the authenticator app and the recovery codes: the password alone signs in again.
  test("mfa-reset turns two-factor authentication off and signs the user out everywhere", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    const userId = userIdOf(user.username);
    turnOnTwoFactor(userId);
    const refused = await request.post("/api/session", { data: user });
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toEqual({ error: "Second factor required" });

    const result = runUsersCli(["mfa-reset", user.username.toUpperCase()]);
    expectSuccess(result);
    expect(result.stdout).toContain(`Two-factor authentication turned off and passkeys removed for ${user.username}; 1 session(s) signed out.`);

    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
    expect((await request.post("/api/session", { data: user })).status()).toBe(200);
    expect(queryRows(serverDatabase(), 'SELECT "id" FROM "RecoveryCode" WHERE "userId" = ?', [userId])).toEqual([]);
    // In the user's own activity, so they can see it was done.
    expect(securityEvents().filter((event) => event.userId === userId && event.type === "two_factor_reset")).toEqual([
      expect.objectContaining({ username: user.username, ip: "cli" }),
    ]);
  });

  test("mfa-reset of a user without two-factor authentication says so and signs nobody out", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    const result = runUsersCli(["mfa-reset", user.username]);
    expectSuccess(result);
    expect(result.stdout).toContain(`${user.username} has neither two-factor authentication nor passkeys; nothing changed.`);
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(200);
  });

  test("mfa-reset of an unknown user fails with a message", () => {
    expectFailure(runUsersCli(["mfa-reset", newName()]), /No user named/);
  });

  // A removed account must lose access now, not when its cookie expires in a week.
  test("remove ends the user's live session at once", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(200);

    expectSuccess(runUsersCli(["remove", user.username]));

    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
    const dashboard = await request.get("/dashboard", { maxRedirects: 0, headers: withSession(seal) });
    await expectSentToSignIn(dashboard, "/dashboard", "Welcome");
  });

  test("remove of an unknown user fails with a message", () => {
    expectFailure(runUsersCli(["remove", newName()]), /No user named/);
  });
});
