// Two-factor authentication with an authenticator app, end to end: set-up on
// /account/two-factor, the second sign-in step, recovery codes, throttling,
// the JSON API's answers, turning it off, and "Confirm it's you" for what
// needs a recent sign-in. Codes come from e2e/authenticator.ts, an
// implementation of RFC 6238 apart from the server's.
import type { BrowserContext, Locator, Page } from "@playwright/test";
import { sealData } from "iron-session";
import { Authenticator } from "./authenticator";
import {
  browserSeal,
  browserSessionCookie,
  expect,
  runUsersCli,
  securityEvents,
  sessionIdOf,
  sessionSecret,
  setSessionTimes,
  signInThroughForm,
  test,
  userIdOf,
  type TestUser,
} from "./fixtures";

const PENDING_COOKIE = "__Host-keycard_pending";
// Crockford base32: no i, l, o or u.
const RECOVERY_CODE = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

type TwoFactor = { app: Authenticator; recoveryCodes: string[] };

/** Signs in with the password and waits to leave /login (for the dashboard, or the code step). */
async function signIn(page: Page, user: TestUser): Promise<void> {
  await page.goto("/login");
  await signInThroughForm(page, user);
  await expect(page).not.toHaveURL(/\/login(\?|$)/);
}

/** The error a form shows (Next's route announcer is an empty alert of its own). */
const formError = (scope: Page | Locator): Locator => scope.locator(".error[role=alert]");

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** Turns two-factor authentication on for the signed-in browser's user, as a person would with an app. */
async function setUpTwoFactor(page: Page): Promise<TwoFactor> {
  await page.goto("/account/two-factor");
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const app = new Authenticator((await page.getByTestId("setup-key").textContent()) ?? "");
  await page.getByLabel("Authentication code").fill(await app.nextCode());
  await page.getByRole("button", { name: "Turn on" }).click();
  const codes = page.getByTestId("recovery-codes").getByRole("listitem");
  await expect(codes).toHaveCount(10);
  return { app, recoveryCodes: (await codes.allTextContents()).map((code) => code.trim()) };
}

/** Signs the user in, turns two-factor authentication on, and signs out again. */
async function withTwoFactor(page: Page, user: TestUser): Promise<TwoFactor> {
  await signIn(page, user);
  const twoFactor = await setUpTwoFactor(page);
  await page.goto("/dashboard");
  await signOut(page);
  return twoFactor;
}

/** Signs in with the password and lands on the second step. */
async function passPassword(page: Page, user: TestUser): Promise<void> {
  await signIn(page, user);
  await expect(page).toHaveURL("/login/two-factor?next=%2Fdashboard");
}

async function enterCode(page: Page, code: string, label = "Authentication code"): Promise<void> {
  await page.getByLabel(label).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
}

async function pendingCookie(context: BrowserContext) {
  return (await context.cookies()).find((cookie) => cookie.name === PENDING_COOKIE);
}

test.describe("setting up two-factor authentication", () => {
  test("shows a QR code whose text alternative is the setup key, refuses a wrong code, then is on with 10 recovery codes shown once", async ({ page, user }) => {
    await signIn(page, user);
    await page.goto("/account");
    await expect(page.getByTestId("two-factor-summary")).toHaveText("Off");
    await page.getByRole("link", { name: "Set up two-factor authentication" }).click();
    await expect(page).toHaveURL("/account/two-factor");
    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();

    const setupKey = (await page.getByTestId("setup-key").textContent()) ?? "";
    expect(setupKey).toMatch(/^[A-Z2-7]{32}$/);
    await expect(page.getByRole("img", { name: `QR code. Setup key: ${setupKey}` })).toBeVisible();
    const uri = new URL((await page.getByTestId("otpauth-uri").getAttribute("href")) ?? "");
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(setupKey);
    expect(uri.searchParams.get("issuer")).toBe("Keycard");
    expect(decodeURIComponent(uri.pathname)).toContain(user.username);

    const field = page.getByLabel("Authentication code");
    await expect(field).toHaveAttribute("autocomplete", "one-time-code");
    await expect(field).toHaveAttribute("inputmode", "numeric");
    const app = new Authenticator(setupKey);
    await field.fill(app.wrongCode());
    await page.getByRole("button", { name: "Turn on" }).click();
    await expect(formError(page)).toContainText("Invalid code");
    await expect(field).toHaveAttribute("aria-invalid", "true");

    await field.fill(await app.nextCode());
    await page.getByRole("button", { name: "Turn on" }).click();
    const codes = page.getByTestId("recovery-codes").getByRole("listitem");
    await expect(codes).toHaveCount(10);
    const recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
    for (const code of recoveryCodes) expect(code).toMatch(RECOVERY_CODE);
    expect(new Set(recoveryCodes).size).toBe(10);
    const download = page.getByRole("link", { name: "Download the codes" });
    await expect(download).toHaveAttribute("download", "keycard-recovery-codes.txt");
    expect(decodeURIComponent((await download.getAttribute("href")) ?? "")).toContain(recoveryCodes.join("\n"));

    await page.getByRole("link", { name: "I have saved them" }).click();
    await expect(page.getByTestId("two-factor-status")).toContainText("On since");
    await expect(page.getByTestId("two-factor-status")).toContainText("10 of 10 recovery codes left");
    // Shown once: nowhere on the page again.
    await page.reload();
    await expect(page.getByText(recoveryCodes[0]!)).toHaveCount(0);
    await page.goto("/account");
    await expect(page.getByTestId("two-factor-summary")).toHaveText("On");
    await expect(page.getByTestId("activity")).toContainText("Two-factor authentication turned on");
  });
});

test.describe("signing in with a second factor", () => {
  test("a right password leads to the code step, with no session before it; the code signs in", async ({ page, context, user }) => {
    const { app } = await withTwoFactor(page, user);

    await passPassword(page, user);
    expect(await browserSessionCookie(context)).toBeUndefined();
    const pending = await pendingCookie(context);
    expect(pending).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    const lifetime = (pending?.expires ?? 0) - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(240);
    expect(lifetime).toBeLessThanOrEqual(301);

    // The pending step reaches no protected page.
    await page.goto("/dashboard");
    await expect(page).toHaveURL("/login?next=%2Fdashboard");
    await page.goto("/login/two-factor?next=%2Fdashboard");

    await enterCode(page, app.wrongCode());
    await expect(formError(page)).toHaveText("Invalid code.");
    expect(await browserSessionCookie(context)).toBeUndefined();

    await enterCode(page, await app.nextCode());
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();
    expect(await pendingCookie(context)).toBeUndefined();
    const failed = securityEvents().filter((event) => event.type === "two_factor_failed" && event.userId === userIdOf(user.username));
    expect(failed).toHaveLength(1);
  });

  test("a recovery code signs in once, and never again", async ({ page, user }) => {
    const { recoveryCodes } = await withTwoFactor(page, user);

    await passPassword(page, user);
    await page.getByRole("link", { name: "Use a recovery code" }).click();
    // Typed as people do: in capitals, without the dash.
    await enterCode(page, recoveryCodes[3]!.toUpperCase().replace("-", ""), "Recovery code");
    await expect(page).toHaveURL("/dashboard");
    await signOut(page);

    await passPassword(page, user);
    await page.getByRole("link", { name: "Use a recovery code" }).click();
    await enterCode(page, recoveryCodes[3]!, "Recovery code");
    await expect(formError(page)).toHaveText("Invalid code.");
    await enterCode(page, recoveryCodes[4]!, "Recovery code");
    await expect(page).toHaveURL("/dashboard");
    await page.goto("/account/two-factor");
    await expect(page.getByTestId("two-factor-status")).toContainText("8 of 10 recovery codes left");
    await page.goto("/account");
    await expect(page.getByTestId("activity")).toContainText("Recovery code used");
  });

  test("wrong codes are throttled like passwords: after 5, even the right code waits", async ({ page, user }) => {
    const { app } = await withTwoFactor(page, user);

    await passPassword(page, user);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await enterCode(page, app.wrongCode());
      await expect(formError(page)).toHaveText("Invalid code.");
      // Each answer is a new render of the form: wait for the button to come back.
      await expect(page.getByRole("button", { name: "Verify" })).toBeEnabled();
    }
    await enterCode(page, await app.nextCode());
    await expect(formError(page)).toHaveText(/^Too many attempts\. Try again in \d+ seconds\.$/);
    await expect(page).toHaveURL(/\/login\/two-factor/);
  });

  test("a password changed between the two steps ends the pending sign-in: the old password's step cannot be finished", async ({ page, context, user }) => {
    const { app } = await withTwoFactor(page, user);
    // Someone who knows the old password passes the first step...
    await passPassword(page, user);
    // ...and the owner changes the password before the code is in.
    const changed = runUsersCli(["passwd", user.username, "--password-stdin"], "a wholly different passphrase 9\n");
    expect(changed.status, changed.stderr).toBe(0);
    await enterCode(page, await app.nextCode());
    await expect(formError(page)).toHaveText("Your account changed since you entered your password. Sign in again.");
    await expect(page.getByRole("link", { name: "Sign in again" }).first()).toBeVisible();
    expect(await browserSessionCookie(context)).toBeUndefined();
    await page.goto("/dashboard");
    await expect(page).toHaveURL("/login?next=%2Fdashboard");
  });

  test("a pending sign-in expires after 5 minutes, whatever the cookie's own lifetime", async ({ page, context, user }) => {
    await signIn(page, user);
    await setUpTwoFactor(page);
    const sixMinutesAgo = Date.now() - 6 * 60_000;
    const stale = await sealData(
      { kind: "pending-sign-in", uid: userIdOf(user.username), username: user.username, persistent: false, passwordAt: sixMinutesAgo, expiresAt: sixMinutesAgo + 5 * 60_000, passwordStamp: "any" },
      { password: { 1: sessionSecret() }, ttl: 3600 },
    );
    await context.clearCookies();
    await context.addCookies([{ name: PENDING_COOKIE, value: stale, domain: "localhost", path: "/", secure: true, httpOnly: true, sameSite: "Lax" }]);
    await page.goto("/login/two-factor");
    await expect(page.getByTestId("second-factor-expired")).toBeVisible();
    await expect(page.getByLabel("Authentication code")).toHaveCount(0);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("set-up, the code step and a recovery code work with plain form posts", async ({ page, user }) => {
      const { app, recoveryCodes } = await withTwoFactor(page, user);

      await passPassword(page, user);
      await enterCode(page, await app.nextCode());
      await expect(page).toHaveURL("/dashboard");
      await signOut(page);

      await passPassword(page, user);
      await page.getByRole("link", { name: "Use a recovery code" }).click();
      await enterCode(page, recoveryCodes[0]!, "Recovery code");
      await expect(page).toHaveURL("/dashboard");
    });
  });
});

test.describe("the JSON API", () => {
  test("asks for the second factor, refuses a wrong one, and signs in with the right one", async ({ page, user, playwright }) => {
    await signIn(page, user);
    const { app, recoveryCodes } = await setUpTwoFactor(page);
    const api = await playwright.request.newContext();
    try {
      const post = (data: Record<string, unknown>) => api.post("/api/session", { data: { username: user.username, password: user.password, ...data } });

      const noCode = await post({});
      expect(noCode.status()).toBe(401);
      expect(await noCode.json()).toEqual({ error: "Second factor required" });
      expect(noCode.headers()["set-cookie"] ?? "").not.toContain("keycard_session");

      const wrong = await post({ code: app.wrongCode() });
      expect(wrong.status()).toBe(401);
      expect(await wrong.json()).toEqual({ error: "Invalid code" });

      const notText = await post({ code: 123456 });
      expect(notText.status()).toBe(400);
      expect(await notText.json()).toEqual({ error: "code must be a string." });

      // A right code with a wrong password is a wrong password, and the code is not used up.
      const code = await app.nextCode();
      const wrongPassword = await post({ password: `${user.password}x`, code });
      expect(wrongPassword.status()).toBe(401);
      expect(await wrongPassword.json()).toEqual({ error: "Invalid credentials" });

      const right = await post({ code });
      expect(right.status(), await right.text()).toBe(200);
      expect(right.headers()["set-cookie"]).toContain("keycard_session=");
      // The same code again: a replay.
      const replay = await post({ code });
      expect(replay.status()).toBe(401);
      expect(await replay.json()).toEqual({ error: "Invalid code" });

      expect((await post({ code: recoveryCodes[0] })).status()).toBe(200);
    } finally {
      await api.dispose();
    }
  });
});

test.describe("managing two-factor authentication", () => {
  test("new recovery codes and turning it off need the password and a current code", async ({ page, user }) => {
    await signIn(page, user);
    const { app, recoveryCodes } = await setUpTwoFactor(page);
    await page.getByRole("link", { name: "I have saved them" }).click();

    const renew = page.getByRole("form", { name: "Make new recovery codes" });
    await renew.getByLabel("Password", { exact: true }).fill(user.password);
    await renew.getByLabel("Authentication code").fill(app.wrongCode());
    await renew.getByRole("button", { name: "Make new recovery codes" }).click();
    await expect(formError(renew)).toHaveText("Invalid code.");
    // React resets a form after its action: the password is typed again.
    await renew.getByLabel("Password", { exact: true }).fill(user.password);
    await renew.getByLabel("Authentication code").fill(await app.nextCode());
    await renew.getByRole("button", { name: "Make new recovery codes" }).click();
    const fresh = page.getByTestId("recovery-codes").getByRole("listitem");
    await expect(fresh).toHaveCount(10);
    const newCodes = (await fresh.allTextContents()).map((code) => code.trim());
    expect(newCodes).not.toContain(recoveryCodes[0]);

    await page.goto("/account/two-factor");
    const turnOff = page.getByRole("form", { name: "Turn off two-factor authentication" });
    await turnOff.getByLabel("Password", { exact: true }).fill(`${user.password}x`);
    await turnOff.getByLabel("Authentication code").fill(newCodes[0]!);
    await turnOff.getByRole("button", { name: "Turn off two-factor authentication" }).click();
    await expect(formError(turnOff)).toHaveText("Wrong password.");
    // The old set's codes stopped working when the new ones were made.
    await turnOff.getByLabel("Password", { exact: true }).fill(user.password);
    await turnOff.getByLabel("Authentication code").fill(recoveryCodes[0]!);
    await turnOff.getByRole("button", { name: "Turn off two-factor authentication" }).click();
    await expect(formError(turnOff)).toHaveText("Invalid code.");
    await turnOff.getByLabel("Password", { exact: true }).fill(user.password);
    await turnOff.getByLabel("Authentication code").fill(newCodes[0]!);
    await turnOff.getByRole("button", { name: "Turn off two-factor authentication" }).click();
    await expect(page.getByTestId("two-factor-status")).toContainText("Off.");

    await page.goto("/dashboard");
    await signOut(page);
    await signIn(page, user);
    await expect(page).toHaveURL("/dashboard");
    await page.goto("/account");
    await expect(page.getByTestId("activity")).toContainText("Two-factor authentication turned off");
  });
});

test.describe("confirm it's you", () => {
  test("a sign-in older than 10 minutes is asked for the password (and code) before set-up or a password change, then carries on", async ({ page, context, user }) => {
    await signIn(page, user);
    await expect(page).toHaveURL("/dashboard");
    const sessionId = await sessionIdOf(await browserSeal(context));
    setSessionTimes(sessionId, { authenticatedAt: new Date(Date.now() - 11 * 60_000) });

    await page.goto("/account/two-factor");
    await expect(page).toHaveURL("/account/confirm?next=%2Faccount%2Ftwo-factor");
    await expect(page.getByLabel("Authentication code")).toHaveCount(0);
    await page.getByLabel("Password", { exact: true }).fill(`${user.password}x`);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(formError(page)).toHaveText("Wrong password.");
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page).toHaveURL("/account/two-factor");
    const { app } = await setUpTwoFactor(page);

    // With two-factor authentication on, confirming needs a code too; a password change waits for it.
    setSessionTimes(sessionId, { authenticatedAt: new Date(Date.now() - 11 * 60_000) });
    await page.goto("/account");
    await page.getByLabel("Current password").fill(user.password);
    await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase 7");
    await page.getByLabel("Confirm new password").fill("a brand new passphrase 7");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page).toHaveURL("/account/confirm?next=%2Faccount");
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(formError(page)).toHaveText("Enter a code.");
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByLabel("Authentication code").fill(await app.nextCode());
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page).toHaveURL("/account");
    await page.getByLabel("Current password").fill(user.password);
    await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase 7");
    await page.getByLabel("Confirm new password").fill("a brand new passphrase 7");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByTestId("change-password-message")).toContainText("Password changed");
  });
});
