// The sign-in flow as a person sees it in the browser, with and without JavaScript.
import type { Page } from "@playwright/test";
import { SESSION_COOKIE, browserSessionCookie, createUser, expect, signInThroughForm, test } from "./fixtures";

const SEVEN_DAYS = 7 * 24 * 60 * 60;

/**
 * The bodies the server sends back to form posts. Read through a route:
 * Playwright cannot get a server action's answer body once the page moved on.
 */
async function recordPostAnswers(page: Page): Promise<string[]> {
  const bodies: string[] = [];
  await page.route("**/*", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    const response = await route.fetch({ maxRedirects: 0 });
    bodies.push(await response.text());
    return route.fulfill({ response });
  });
  return bodies;
}

test.describe("sign-in form", () => {
  test("has labelled fields that password managers recognise", async ({ page }) => {
    await page.goto("/login");
    const username = page.getByLabel("Username");
    const password = page.getByLabel("Password");
    await expect(username).toHaveAttribute("name", "username");
    await expect(username).toHaveAttribute("autocomplete", "username");
    await expect(password).toHaveAttribute("name", "password");
    await expect(password).toHaveAttribute("type", "password");
    await expect(password).toHaveAttribute("autocomplete", "current-password");
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
  });

  test("signs in, reaches the protected area, signs out and stays out", async ({ page, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();

    await page.getByRole("link", { name: "Protected" }).click();
    await expect(page).toHaveURL("/protected");
    await expect(page.getByText("This is a protected area.")).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    await page.goto("/dashboard");
    await expect(page).toHaveURL("/login?next=%2Fdashboard");
    await expect(page.getByText("Welcome")).toHaveCount(0);
  });

  test("a wrong password keeps the username, clears the password and never echoes it", async ({ page, user }) => {
    const wrong = `wrong-${user.password}`;
    await page.goto("/login");
    const answers = await recordPostAnswers(page);
    await signInThroughForm(page, { username: user.username, password: wrong });

    // Scoped by text: Next's route announcer is an alert too.
    await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password." })).toBeVisible();
    await expect(page).toHaveURL("/login");
    await expect(page.getByLabel("Username")).toHaveValue(user.username);
    await expect(page.getByLabel("Password")).toHaveValue("");
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain("Invalid username or password.");
    expect(answers[0]).not.toContain(wrong);
    expect(await page.content()).not.toContain(wrong);
  });

  test("an unknown user gets the same message as a wrong password", async ({ page }) => {
    await page.goto("/login");
    await signInThroughForm(page, { username: "nobody-by-this-name", password: "some-password-123" });
    await expect(page.getByTestId("login-error")).toHaveText("Invalid username or password.");
    await expect(page).toHaveURL("/login");
  });

  test("the username is case-insensitive and trimmed", async ({ page }) => {
    const alice = createUser("alice");
    await page.goto("/login");
    await signInThroughForm(page, { username: `  ${alice.username.toUpperCase()} `, password: alice.password });
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${alice.username}!` })).toBeVisible();
  });

  test("with Keep me signed in, the session cookie is HttpOnly, Secure, SameSite=Lax, host-only and lasts about 7 days", async ({ page, context, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user, { remember: true });
    await expect(page).toHaveURL("/dashboard");

    const cookie = await browserSessionCookie(context);
    expect(cookie, `no ${SESSION_COOKIE} cookie in the browser`).toBeDefined();
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/", domain: "localhost" });
    const lifetime = (cookie?.expires ?? 0) - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(SEVEN_DAYS - 3600);
    expect(lifetime).toBeLessThanOrEqual(SEVEN_DAYS);
  });

  test("without Keep me signed in, the session cookie ends with the browser", async ({ page, context, user }) => {
    await page.goto("/login");
    await expect(page.getByLabel("Keep me signed in")).not.toBeChecked();
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");

    const cookie = await browserSessionCookie(context);
    expect(cookie, `no ${SESSION_COOKIE} cookie in the browser`).toBeDefined();
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    // -1: a session cookie, gone when the browser closes.
    expect(cookie?.expires).toBe(-1);
  });

  test("Back after signing out does not show the signed-in page", async ({ page, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    await page.goBack();
    // The history entry is the dashboard's: Back asks the server again and is turned away.
    await expect(page).toHaveURL("/login?next=%2Fdashboard");
    await expect(page.getByText("Welcome")).toHaveCount(0);
    await page.reload();
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByText("Welcome")).toHaveCount(0);
  });
});

test.describe("entry points", () => {
  test("/ sends a stranger to sign in", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL("/login");
  });

  test("/ and /login send a signed-in user to the dashboard", async ({ page, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");

    await page.goto("/");
    await expect(page).toHaveURL("/dashboard");
    await page.goto("/login");
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("signs in and out with plain form posts", async ({ page, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    await page.goto("/dashboard");
    await expect(page).toHaveURL("/login?next=%2Fdashboard");
  });

  test("a wrong password shows the error and never echoes the password", async ({ page, user }) => {
    const wrong = `wrong-${user.password}`;
    await page.goto("/login");
    const answers = await recordPostAnswers(page);
    await signInThroughForm(page, { username: user.username, password: wrong });

    await expect(page.getByTestId("login-error")).toHaveText("Invalid username or password.");
    await expect(page.getByLabel("Username")).toHaveValue(user.username);
    await expect(page.getByLabel("Password")).toHaveValue("");
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain("Invalid username or password.");
    expect(answers[0]).not.toContain(wrong);
  });
});
