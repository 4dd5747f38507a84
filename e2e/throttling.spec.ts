// Brute force, credential stuffing and bulk sign-ups are slowed down. Each test
// is a client address of its own (X-Forwarded-For, see e2e/fixtures.ts), so
// their counters never mix; waits are ended by moving Throttle.blockedUntil back.
import type { APIRequestContext, APIResponse, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import {
  DEVICE_COOKIE,
  deviceSetCookie,
  endThrottleWait,
  expect,
  newClientIp,
  securityEvents,
  sessionSetCookie,
  signInThroughForm,
  test,
  throttleRow,
  type TestUser,
} from "./fixtures";

const TOO_MANY = /^Too many attempts\. Try again in (\d+) seconds\.$/;

function signIn(request: APIRequestContext, { username, password }: TestUser, ip?: string): Promise<APIResponse> {
  return request.post("/api/session", {
    data: { username, password },
    ...(ip ? { headers: { "X-Forwarded-For": ip } } : {}),
  });
}

async function failSignIns(request: APIRequestContext, user: TestUser, times: number): Promise<void> {
  for (let attempt = 1; attempt <= times; attempt++) {
    const response = await signIn(request, { username: user.username, password: `wrong-${attempt}` });
    expect(response.status(), `wrong password #${attempt}`).toBe(401);
  }
}

async function expectThrottled(response: APIResponse): Promise<number> {
  expect(response.status()).toBe(429);
  const retryAfter = Number(response.headers()["retry-after"]);
  expect(retryAfter).toBeGreaterThan(0);
  const { error } = (await response.json()) as { error: string };
  expect(error).toMatch(TOO_MANY);
  expect(Number(TOO_MANY.exec(error)?.[1])).toBe(retryAfter);
  expect(sessionSetCookie(response)).toBeUndefined();
  return retryAfter;
}

test.describe("one account", () => {
  test("after 5 wrong passwords the API answers 429 with Retry-After, even to the right password", async ({ request, user }) => {
    await failSignIns(request, user, 5);
    const retryAfter = await expectThrottled(await signIn(request, user));
    expect(retryAfter).toBeLessThanOrEqual(30);
  });

  test("the sign-in form says how long to wait", async ({ page, request, user }) => {
    await failSignIns(request, user, 5);
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page.getByTestId("login-error")).toHaveText(TOO_MANY);
    await expect(page).toHaveURL("/login");
  });

  test("once the wait is over the right password works and clears the account's count, not the address's", async ({ request, user, clientIp }) => {
    await failSignIns(request, user, 5);
    await expectThrottled(await signIn(request, user));

    endThrottleWait(`account:${user.username}`);
    expect((await signIn(request, user)).status()).toBe(200);
    expect(throttleRow(`account:${user.username}`), "the account's counter after success").toBeUndefined();
    expect(throttleRow(`ip:${clientIp}`)?.failures, "the address's counter after success").toBe(5);

    // Counting starts again from zero: 4 more typos are not throttled.
    await failSignIns(request, user, 4);
    expect((await signIn(request, user)).status()).toBe(200);
  });
});

test.describe("the current password on the account page", () => {
  // A stolen session must not become a way to guess the password without limit.
  test("is guessed under the same throttle as sign-in", async ({ page, request, user }) => {
    const replacement = `New-${randomBytes(8).toString("hex")}`;
    await page.goto("/login?next=%2Faccount");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/account");
    const attempt = async (current: string) => {
      await page.getByLabel("Current password", { exact: true }).fill(current);
      await page.getByLabel("New password", { exact: true }).fill(replacement);
      await page.getByLabel("Confirm new password", { exact: true }).fill(replacement);
      await page.getByRole("button", { name: "Change password" }).click();
      // React empties the form once the answer is in: only then is it safe to type again.
      await expect(page.getByLabel("Current password", { exact: true })).toHaveValue("");
    };
    for (let guess = 1; guess <= 5; guess++) {
      await attempt(`guess-${guess}`);
      await expect(page.getByText("Current password is incorrect.")).toBeVisible();
    }
    await attempt(user.password);
    await expect(page.getByTestId("change-password-message")).toHaveText(TOO_MANY);

    // This browser signed in as the user, so its guesses were counted on its
    // device cookie, not on the account. The throttled change did not happen.
    expect(throttleRow(`account:${user.username}`)).toBeUndefined();
    expect((await signIn(request, user)).status()).toBe(200);
    expect((await signIn(request, { username: user.username, password: replacement })).status()).toBe(401);
  });
});

test.describe("one address, many accounts (credential stuffing)", () => {
  test("after 20 failures across accounts that address gets 429 on a fresh account; another address does not", async ({ request, user }) => {
    const attacker = newClientIp();
    for (let attempt = 1; attempt <= 20; attempt++) {
      // A different account each time: no account's own limit is ever reached.
      const victim = { username: `victim-${attempt}-${randomBytes(4).toString("hex")}`, password: "Summer2026!" };
      expect((await signIn(request, victim, attacker)).status(), `failure #${attempt}`).toBe(401);
    }
    await expectThrottled(await signIn(request, user, attacker));
    expect((await signIn(request, user)).status(), "the same account from another address").toBe(200);
  });
});

test.describe("sign-up", () => {
  async function attemptSignUp(page: Page, password: string, confirm: string): Promise<void> {
    await page.getByLabel("Username", { exact: true }).fill(`new-${randomBytes(5).toString("hex")}`);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Confirm password", { exact: true }).fill(confirm);
    await page.getByRole("button", { name: "Create account" }).click();
  }

  test("every attempt counts: the 6th from one address is told to wait, another address is not", async ({ page, browser }) => {
    const password = `Tidy-Otter-${randomBytes(6).toString("hex")}`;
    await page.goto("/signup");
    for (let attempt = 1; attempt <= 5; attempt++) {
      await attemptSignUp(page, password, `${password}-typo`);
      await expect(page.getByText("The passwords do not match.")).toBeVisible();
      // React empties the password fields once the answer is in: only then is it safe to type again.
      await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
    }
    await attemptSignUp(page, password, password);
    await expect(page.getByTestId("signup-message")).toHaveText(TOO_MANY);
    await expect(page).toHaveURL("/signup");

    const elsewhere = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": newClientIp() } });
    const other = await elsewhere.newPage();
    await other.goto("/signup");
    await attemptSignUp(other, password, password);
    await expect(other).toHaveURL("/dashboard");
    await elsewhere.close();
  });
});

test.describe("addresses", () => {
  test("every IPv6 address of one /64 is one client: a fresh address per guess does not escape the limit", async ({ request, user }) => {
    const network = `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;
    for (let attempt = 1; attempt <= 20; attempt++) {
      const victim = { username: `victim-${attempt}-${randomBytes(4).toString("hex")}`, password: "Summer2026!" };
      expect((await signIn(request, victim, `${network}::${attempt.toString(16)}`)).status(), `failure #${attempt}`).toBe(401);
    }
    await expectThrottled(await signIn(request, user, `${network}:abcd:ef01:2345:6789`));
  });

  test("a forwarded address that is not an IP address is ignored: the connection's address is used", async ({ request }) => {
    const username = `nobody-${randomBytes(5).toString("hex")}`;
    const response = await signIn(request, { username, password: "wrong-password" }, `not-an-ip-${randomBytes(4).toString("hex")}`);
    expect(response.status()).toBe(401);
    const failed = securityEvents().find((event) => event.type === "sign_in_failed" && event.username === username);
    expect(failed?.ip).toBe("127.0.0.1");
  });
});

test.describe("a stranger cannot lock a user out", () => {
  test("a browser that signed in before keeps signing in while the account is locked against everyone else", async ({ page, request, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login/);

    // A stranger, elsewhere, locks the account.
    const stranger = newClientIp();
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await signIn(request, { username: user.username, password: `wrong-${attempt}` }, stranger)).status()).toBe(401);
    }
    await expectThrottled(await signIn(request, user, stranger));

    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();
  });

  test("a sign-in sets the device cookie: HttpOnly, Secure, SameSite=Lax, host-only, about half a year, naming no secret", async ({ request, user }) => {
    const response = await signIn(request, user);
    expect(response.status()).toBe(200);
    const device = deviceSetCookie(response);
    expect(device?.name).toBe(DEVICE_COOKIE);
    expect(device?.attributes.has("httponly")).toBe(true);
    expect(device?.attributes.has("secure")).toBe(true);
    expect(device?.attributes.get("samesite")?.toLowerCase()).toBe("lax");
    expect(device?.attributes.get("path")).toBe("/");
    expect(device?.attributes.has("domain")).toBe(false);
    expect(Number(device?.attributes.get("max-age"))).toBe(180 * 24 * 3600);
    expect(device?.value).not.toContain(user.password);
  });

  test("a stolen device cookie buys only that device's own few guesses", async ({ request, playwright, user }) => {
    // Taken from a sign-in in another client: this test's own `request` keeps no device cookie.
    const owner = await playwright.request.newContext({ extraHTTPHeaders: { "X-Forwarded-For": newClientIp() } });
    const device = deviceSetCookie(await signIn(owner, user));
    await owner.dispose();
    const thief = await playwright.request.newContext({
      extraHTTPHeaders: { "X-Forwarded-For": newClientIp(), Cookie: `${DEVICE_COOKIE}=${device?.value}` },
    });
    try {
      for (let attempt = 1; attempt <= 5; attempt++) {
        expect((await signIn(thief, { username: user.username, password: `wrong-${attempt}` })).status()).toBe(401);
      }
      await expectThrottled(await signIn(thief, user));
    } finally {
      await thief.dispose();
    }
    // The user, elsewhere, is not locked out by the thief's guesses.
    expect((await signIn(request, user)).status()).toBe(200);
  });
});
