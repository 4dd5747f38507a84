// The account page: active sessions (revoke one, sign out everywhere else) and
// changing the password, each seen from the browser that does it and from the
// other browsers the same user is signed in on.
import type { APIRequestContext, Browser, BrowserContext, Locator, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import {
  createUser,
  expect,
  forgeHiddenField,
  newClientIp,
  sessionIdOf,
  signInThroughForm,
  test,
  withSession,
  type TestUser,
} from "./fixtures";

const CHROME_ON_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

test.use({ userAgent: CHROME_ON_LINUX });

/** Another browser, signed in as the same user from another address of its own (the caller closes it). */
async function signInElsewhere(
  browser: Browser,
  user: TestUser,
  { ip = newClientIp(), userAgent = FIREFOX_ON_WINDOWS } = {},
): Promise<{ context: BrowserContext; page: Page; ip: string }> {
  const context = await browser.newContext({ userAgent, extraHTTPHeaders: { "X-Forwarded-For": ip } });
  const page = await context.newPage();
  await page.goto("/login");
  await signInThroughForm(page, user);
  await expect(page).toHaveURL("/dashboard");
  return { context, page, ip };
}

async function openAccount(page: Page, user: TestUser): Promise<void> {
  await page.goto("/login");
  await signInThroughForm(page, user);
  await expect(page).toHaveURL("/dashboard");
  await page.getByRole("link", { name: "Manage your account" }).click();
  await expect(page).toHaveURL("/account");
}

const sessionList = (page: Page): Locator => page.getByTestId("sessions").getByTestId("session");
/** One entry of the list, found by the address it shows ("203.0.113.5 · signed in …"). */
const sessionFrom = (page: Page, ip: string): Locator => sessionList(page).filter({ hasText: `${ip} · signed in` });
const activity = (page: Page): Locator => page.getByTestId("activity").getByRole("listitem");

/** What a browser that was signed out gets on its next request. */
async function expectBrowserSignedOut(page: Page): Promise<void> {
  await page.reload();
  await expect(page).toHaveURL("/login?next=%2Fdashboard");
  await expect(page.getByText("Welcome")).toHaveCount(0);
}

test.describe("active sessions", () => {
  test("lists each session with its device and address, and marks this device", async ({ page, browser, user, clientIp }) => {
    const other = await signInElsewhere(browser, user);
    await page.goto("/login");
    await signInThroughForm(page, user);
    await page.getByRole("navigation").getByRole("link", { name: "Account" }).click();
    await expect(page).toHaveURL("/account");

    await expect(sessionList(page)).toHaveCount(2);
    const mine = sessionFrom(page, clientIp);
    await expect(mine).toContainText("Chrome on Linux");
    await expect(mine).toContainText("This device");
    await expect(mine).toContainText(/signed in \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC · last seen \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC/);
    await expect(mine.getByRole("button")).toHaveText("Sign out");

    const theirs = sessionFrom(page, other.ip);
    await expect(theirs).toContainText("Firefox on Windows");
    await expect(theirs).not.toContainText("This device");
    await expect(theirs.getByRole("button")).toHaveText("Revoke");
    await other.context.close();
  });

  test("Revoke signs the other browser out on its next request, and only it", async ({ page, browser, user }) => {
    const other = await signInElsewhere(browser, user);
    await openAccount(page, user);

    await sessionFrom(page, other.ip).getByRole("button", { name: "Revoke" }).click();
    await expect(sessionList(page)).toHaveCount(1);
    await expect(sessionList(page)).toContainText("This device");
    await expect(activity(page).filter({ hasText: "Session revoked" })).toHaveCount(1);

    await expectBrowserSignedOut(other.page);
    await page.goto("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();
    await other.context.close();
  });

  test("Sign out everywhere else ends every other session and keeps this one", async ({ page, browser, request, user, signInThroughApi }) => {
    const other = await signInElsewhere(browser, user);
    const apiSeal = await signInThroughApi(user);
    const stranger = await signInThroughApi(createUser("stranger"));
    await openAccount(page, user);
    await expect(sessionList(page)).toHaveCount(3);

    await page.getByRole("button", { name: "Sign out everywhere else" }).click();
    await expect(sessionList(page)).toHaveCount(1);
    await expect(sessionList(page)).toContainText("This device");
    await expect(page.getByRole("button", { name: "Sign out everywhere else" })).toHaveCount(0);
    await expect(activity(page).filter({ hasText: "Signed out everywhere else" })).toHaveCount(1);

    await expectBrowserSignedOut(other.page);
    expect((await request.get("/api/session", { headers: withSession(apiSeal) })).status()).toBe(401);
    expect((await request.get("/api/session", { headers: withSession(stranger) })).status(), "another user's session").toBe(200);
    await page.reload();
    await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
    await other.context.close();
  });

  // The session id in the Revoke form is the attacker's to edit: the action must
  // only ever end the signed-in user's own sessions.
  test("Revoke with another user's session id forged into the form ends nothing", async ({ page, request, user, signInThroughApi }) => {
    const victim = await signInThroughApi(createUser("victim"));
    const mineElsewhere = await signInThroughApi(user);
    await openAccount(page, user);

    const theirs = sessionList(page).filter({ hasNotText: "This device" });
    await forgeHiddenField(page, theirs.locator('input[name="sessionId"]'), await sessionIdOf(victim));
    const answered = page.waitForResponse((response) => response.request().method() === "POST");
    await theirs.getByRole("button", { name: "Revoke" }).click();
    expect((await answered).status()).toBeLessThan(400);
    await page.reload();
    await expect(sessionList(page)).toHaveCount(2);
    await expect(activity(page).filter({ hasText: "Session revoked" })).toHaveCount(0);

    expect((await request.get("/api/session", { headers: withSession(victim) })).status(), "the victim's session").toBe(200);
    expect((await request.get("/api/session", { headers: withSession(mineElsewhere) })).status()).toBe(200);
  });

  // PostgreSQL's text cannot hold a NUL: such an id must not reach a query.
  test("Revoke with a session id no session can have ends nothing and is no error", async ({ page, request, user, signInThroughApi }) => {
    const mineElsewhere = await signInThroughApi(user);
    await openAccount(page, user);

    const theirs = sessionList(page).filter({ hasNotText: "This device" });
    await forgeHiddenField(page, theirs.locator('input[name="sessionId"]'), "not-a-session\u0000id");
    const answered = page.waitForResponse((response) => response.request().method() === "POST");
    await theirs.getByRole("button", { name: "Revoke" }).click();
    expect((await answered).status()).toBeLessThan(400);
    await page.reload();
    await expect(sessionList(page)).toHaveCount(2);
    expect((await request.get("/api/session", { headers: withSession(mineElsewhere) })).status()).toBe(200);
  });

  test("Sign out on this device's entry signs this browser out only", async ({ page, request, user, clientIp, signInThroughApi }) => {
    const elsewhere = await signInThroughApi(user);
    await openAccount(page, user);

    await sessionFrom(page, clientIp).getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    await page.goto("/account");
    await expect(page).toHaveURL("/login?next=%2Faccount");
    expect((await request.get("/api/session", { headers: withSession(elsewhere) })).status()).toBe(200);
  });
});

test.describe("change password", () => {
  const currentField = (page: Page) => page.getByLabel("Current password", { exact: true });
  const newField = (page: Page) => page.getByLabel("New password", { exact: true });
  const confirmField = (page: Page) => page.getByLabel("Confirm new password", { exact: true });

  async function changePassword(page: Page, current: string, next: string, confirm = next): Promise<void> {
    await currentField(page).fill(current);
    await newField(page).fill(next);
    await confirmField(page).fill(confirm);
    await page.getByRole("button", { name: "Change password" }).click();
  }

  /** Bodies of the answers to form posts, to check that no typed password comes back. */
  function recordPostAnswers(page: Page): string[] {
    const bodies: string[] = [];
    page.on("response", async (response) => {
      if (response.request().method() === "POST") bodies.push(await response.text().catch(() => ""));
    });
    return bodies;
  }

  async function apiSignInStatus(request: APIRequestContext, username: string, password: string): Promise<number> {
    return (await request.post("/api/session", { data: { username, password } })).status();
  }

  test("a wrong current password is an error on that field, and nothing changes", async ({ page, request, user }) => {
    await openAccount(page, user);
    const answers = recordPostAnswers(page);
    const wrong = `wrong-${user.password}`;
    const replacement = `New-${randomBytes(8).toString("hex")}`;
    await changePassword(page, wrong, replacement);

    await expect(currentField(page)).toHaveAccessibleDescription("Current password is incorrect.");
    await expect(page.getByRole("alert").filter({ hasText: "Current password is incorrect." })).toBeVisible();
    await expect(page.getByTestId("change-password-message")).toHaveCount(0);
    await page.reload();
    await expect(activity(page).filter({ hasText: "Wrong current password" })).toHaveCount(1);

    for (const body of answers) {
      expect(body).not.toContain(wrong);
      expect(body).not.toContain(replacement);
    }
    expect(await apiSignInStatus(request, user.username, replacement)).toBe(401);
    expect(await apiSignInStatus(request, user.username, user.password)).toBe(200);
  });

  const POLICY = [
    { rule: "too short", next: () => "short-pw-1", field: newField, message: "Password must be at least 12 characters." },
    { rule: "containing the username", next: (user: TestUser) => `My-${user.username.toUpperCase()}-pass`, field: newField, message: "Password must not contain the username." },
    { rule: "too common", next: () => "qwertyuiop123", field: newField, message: "That password is too common. Choose another." },
    { rule: "easy to guess", next: () => "zzzzzzzzzzzz1", field: newField, message: 'Repeated characters like "aaa" are easy to guess. Add more words that are less common.' },
    { rule: "unconfirmed", next: () => "A-perfectly-good-passphrase", confirm: "A-perfectly-good-passphrasE", field: confirmField, message: "The passwords do not match." },
  ];

  test("each policy problem is shown on its field, and nothing changes", async ({ page, request, user }) => {
    await openAccount(page, user);
    for (const { rule, next, confirm, field, message } of POLICY) {
      await test.step(rule, async () => {
        const chosen = next(user);
        await changePassword(page, user.password, chosen, confirm ?? chosen);
        await expect(field(page)).toHaveAccessibleDescription(new RegExp(`${message.replace(/\./g, "\\.")}$`));
        await expect(page.getByRole("alert").filter({ hasText: message })).toBeVisible();
        await expect(page.getByTestId("change-password-message")).toHaveCount(0);
        // The form is emptied once the answer is in: only then is it safe to type again.
        await expect(currentField(page)).toHaveValue("");
      });
    }
    expect(await apiSignInStatus(request, user.username, user.password)).toBe(200);
  });

  test("success signs out every other session, keeps this one, and only the new password works", async ({ page, browser, request, user, signInThroughApi }) => {
    const other = await signInElsewhere(browser, user);
    const apiSeal = await signInThroughApi(user);
    await openAccount(page, user);
    const answers = recordPostAnswers(page);
    const replacement = `New-${randomBytes(8).toString("hex")}`;

    await changePassword(page, user.password, replacement);
    await expect(page.getByTestId("change-password-message")).toHaveText("Password changed. Your other sessions were signed out.");
    for (const body of answers) expect(body).not.toContain(replacement);

    await expectBrowserSignedOut(other.page);
    expect((await request.get("/api/session", { headers: withSession(apiSeal) })).status()).toBe(401);
    await page.reload();
    await expect(sessionList(page)).toHaveCount(1);
    await expect(activity(page).filter({ hasText: "Password changed" })).toHaveCount(1);

    expect(await apiSignInStatus(request, user.username, user.password)).toBe(401);
    expect(await apiSignInStatus(request, user.username, replacement)).toBe(200);
    await other.context.close();
  });
});
