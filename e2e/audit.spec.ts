// The security audit log: what the user sees of it on the account page, and
// what it must never hold.
import type { Locator, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import {
  browserSeal,
  expect,
  securityEvents,
  signInThroughForm,
  test,
  unsealSession,
  userIdOf,
  withSession,
} from "./fixtures";

const CHROME_ON_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
test.use({ userAgent: CHROME_ON_LINUX });

const TIME = /\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC/;
const activity = (page: Page): Locator => page.getByTestId("activity").getByRole("listitem");

test("the account page shows a failed sign-in and a sign-in, newest first, with time, address and device", async ({ page, user, clientIp }) => {
  await page.goto("/login");
  await signInThroughForm(page, { username: user.username, password: `wrong-${user.password}` });
  await expect(page.getByTestId("login-error")).toHaveText("Invalid username or password.");
  // The form is emptied once the answer is in: only then is it safe to type again.
  await expect(page.getByLabel("Password")).toHaveValue("");
  await signInThroughForm(page, user);
  await expect(page).toHaveURL("/dashboard");
  await page.goto("/account");

  await expect(activity(page)).toHaveCount(2);
  const [signedIn, failed] = [activity(page).nth(0), activity(page).nth(1)];
  await expect(signedIn.getByRole("strong")).toHaveText("Signed in");
  await expect(failed.getByRole("strong")).toHaveText("Failed sign-in");
  for (const entry of [signedIn, failed]) {
    await expect(entry).toContainText(TIME);
    await expect(entry).toContainText(`· ${clientIp} ·`);
    await expect(entry).toContainText("Chrome on Linux");
  }
});

test("a signed-out cookie coming back shows as Session cookie rejected", async ({ page, request, user, signInThroughApi }) => {
  const seal = await signInThroughApi(user);
  expect((await request.delete("/api/session", { headers: withSession(seal) })).status()).toBe(204);
  expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);

  await page.goto("/login");
  await signInThroughForm(page, user);
  await expect(page).toHaveURL("/dashboard");
  await page.goto("/account");
  await expect(activity(page).filter({ hasText: "Session cookie rejected" })).toHaveCount(1);
  await expect(activity(page).filter({ hasText: "Signed out" })).toHaveCount(1);
});

test("the audit log never holds a password, a cookie or a session token", async ({ page, context, request, user, signInThroughApi }) => {
  const wrong = `wrong-${randomBytes(6).toString("hex")}`;
  const replacement = `New-${randomBytes(8).toString("hex")}`;
  const seals: string[] = [];

  await page.goto("/login");
  await signInThroughForm(page, { username: user.username, password: wrong });
  await expect(page.getByTestId("login-error")).toBeVisible();
  await expect(page.getByLabel("Password")).toHaveValue("");
  await signInThroughForm(page, user);
  await expect(page).toHaveURL("/dashboard");
  seals.push(await browserSeal(context));
  seals.push(await signInThroughApi(user, { remember: true }));

  await page.goto("/account");
  await page.getByLabel("Current password", { exact: true }).fill(wrong);
  await page.getByLabel("New password", { exact: true }).fill(replacement);
  await page.getByLabel("Confirm new password", { exact: true }).fill(replacement);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Current password is incorrect.")).toBeVisible();
  await expect(page.getByLabel("Current password", { exact: true })).toHaveValue("");
  await page.getByLabel("Current password", { exact: true }).fill(user.password);
  await page.getByLabel("New password", { exact: true }).fill(replacement);
  await page.getByLabel("Confirm new password", { exact: true }).fill(replacement);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("change-password-message")).toContainText("Password changed.");
  // The revoked API session replayed: a "cookie rejected" event.
  expect((await request.get("/api/session", { headers: withSession(seals[1] ?? "") })).status()).toBe(401);
  await page.getByRole("navigation").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL("/login?signed-out=1");

  const secrets = [user.password, wrong, replacement, ...seals];
  for (const seal of seals) secrets.push((await unsealSession(seal)).sid);

  const events = securityEvents();
  const userId = userIdOf(user.username);
  const types = events.filter((event) => event.userId === userId).map((event) => event.type);
  // Control: the scan below looked at this test's events.
  expect(types).toEqual(
    expect.arrayContaining(["sign_in_failed", "sign_in", "password_change_failed", "password_changed", "cookie_rejected", "sign_out"]),
  );
  for (const event of events) {
    for (const [column, value] of Object.entries(event)) {
      for (const secret of secrets) {
        expect(String(value), `SecurityEvent ${String(event.id)}.${column}`).not.toContain(secret);
      }
    }
  }
});
