// Server-side session lifecycle: the database row behind the cookie decides, so
// signing out, idling and expiring are real even for a copied cookie. Timeouts
// are tested by moving the row's clock back, never by waiting.
import type { APIRequestContext, BrowserContext, Response as PageResponse } from "@playwright/test";
import {
  addSessionCookie,
  browserSeal,
  browserSessionCookie,
  expect,
  expectSentToSignIn,
  sessionIdOf,
  sessionRow,
  setSessionTimes,
  signInThroughForm,
  test,
  withSession,
} from "./fixtures";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const ago = (ms: number) => new Date(Date.now() - ms);

/** GET /api/session with only this cookie: 200 while the session counts, 401 after. */
async function sessionStatus(request: APIRequestContext, seal: string): Promise<number> {
  return (await request.get("/api/session", { headers: withSession(seal) })).status();
}

async function expectSignedOut(request: APIRequestContext, seal: string): Promise<void> {
  expect(await sessionStatus(request, seal)).toBe(401);
  await expectSentToSignIn(await request.get("/dashboard", { maxRedirects: 0, headers: withSession(seal) }), "/dashboard", "Welcome");
}

test.describe("a cookie replayed after sign-out", () => {
  test("signing out in the browser revokes the session: the old cookie is refused everywhere", async ({ page, context, request, user }) => {
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    const seal = await browserSeal(context);
    expect(await sessionStatus(request, seal)).toBe(200);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    expect(await browserSessionCookie(context)).toBeUndefined();

    await expectSignedOut(request, seal);
  });

  test("DELETE /api/session revokes that session only, and clears this origin's storage", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    const elsewhere = await signInThroughApi(user);

    const response = await request.delete("/api/session", { headers: withSession(seal) });
    expect(response.status()).toBe(204);
    expect(response.headers()["clear-site-data"]).toBe('"storage"');

    await expectSignedOut(request, seal);
    expect(await sessionStatus(request, elsewhere)).toBe(200);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("the sign-out answer clears this origin's storage; the page it lands on clears nothing", async ({ page, context, request, user }) => {
      await page.goto("/login");
      await signInThroughForm(page, user);
      await expect(page).toHaveURL("/dashboard");
      const seal = await browserSeal(context);

      const signOut = page.waitForResponse((response) => new URL(response.url()).pathname === "/sign-out");
      const landing = page.waitForResponse((response) => new URL(response.url()).search === "?signed-out=1");
      await page.getByRole("button", { name: "Sign out" }).click();
      // allHeaders(): headers() leaves out security-related headers like this one.
      expect((await signOut).status()).toBe(303);
      expect((await (await signOut).allHeaders())["clear-site-data"]).toBe('"storage"');
      expect((await (await landing).allHeaders())["clear-site-data"]).toBeUndefined();
      await expect(page).toHaveURL("/login?signed-out=1");
      await expectSignedOut(request, seal);
    });
  });

  // The sign-in form on /login?signed-out=1 posts to that same URL: its answer
  // must not carry Clear-Site-Data, or the browser drops the new session's cookie.
  for (const javaScriptEnabled of [true, false]) {
    test.describe(javaScriptEnabled ? "with JavaScript" : "without JavaScript", () => {
      test.use({ javaScriptEnabled });

      test("signing in again right after signing out keeps the new session", async ({ page, context, user }) => {
        await page.goto("/login");
        await signInThroughForm(page, user);
        await expect(page).toHaveURL("/dashboard");
        await page.getByRole("button", { name: "Sign out" }).click();
        await expect(page).toHaveURL("/login?signed-out=1");

        await signInThroughForm(page, user);
        await expect(page).toHaveURL("/dashboard");
        expect(await browserSessionCookie(context), "the new session's cookie").toBeDefined();
        await page.getByRole("link", { name: "Protected" }).click();
        await expect(page).toHaveURL("/protected");
        await expect(page.getByText("This is a protected area.")).toBeVisible();
      });
    });
  }

});

// Clear-Site-Data: "cookies" clears every cookie of the registrable domain,
// other apps' on the same host included: only a sign-out may clear anything,
// and only what is this origin's own.
test.describe("Clear-Site-Data stays this app's", () => {
  const OTHER_APP = { name: "other_app", value: "keep-me", domain: "localhost", path: "/" };
  const otherAppCookie = async (context: BrowserContext) => (await context.cookies()).find((cookie) => cookie.name === OTHER_APP.name);

  test("a link to /login?signed-out=1 clears nothing, signed in or not: another app's cookie on this host stays", async ({ page, context, request, user, signInThroughApi }) => {
    await context.addCookies([OTHER_APP]);
    const signedOut = await page.goto("/login?signed-out=1");
    expect((await signedOut?.allHeaders())?.["clear-site-data"]).toBeUndefined();
    expect(await otherAppCookie(context), "after a signed-out visit").toBeDefined();

    const seal = await signInThroughApi(user);
    await addSessionCookie(context, seal);
    // A signed-in visitor is sent on to the dashboard; neither answer clears anything.
    const answers: PageResponse[] = [];
    page.on("response", (response) => answers.push(response));
    await page.goto("/login?signed-out=1");
    await expect(page).toHaveURL("/dashboard");
    for (const answer of answers) expect((await answer.allHeaders())["clear-site-data"], answer.url()).toBeUndefined();
    expect(await otherAppCookie(context), "after a signed-in visit").toBeDefined();
    expect(await sessionStatus(request, seal)).toBe(200);
  });

  test("signing out clears this origin's storage, and leaves another app's cookie on this host", async ({ page, context, user }) => {
    await context.addCookies([OTHER_APP]);
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    await page.evaluate(() => localStorage.setItem("draft", "something private"));

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    expect(await browserSessionCookie(context)).toBeUndefined();
    expect(await otherAppCookie(context)).toMatchObject({ value: OTHER_APP.value });
    expect(await page.evaluate(() => localStorage.getItem("draft"))).toBeNull();
  });
});

test.describe("timeouts", () => {
  test("a browser session ends after an hour without activity", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    const id = await sessionIdOf(seal);

    setSessionTimes(id, { lastSeenAt: ago(50 * MINUTE) });
    expect(await sessionStatus(request, seal), "50 minutes idle").toBe(200);

    setSessionTimes(id, { lastSeenAt: ago(61 * MINUTE) });
    await expectSignedOut(request, seal);
  });

  test("Keep me signed in survives a 2-hour gap that ends a browser session, but not 3 days", async ({ request, user, signInThroughApi }) => {
    const browserSession = await signInThroughApi(user);
    const persistent = await signInThroughApi(user, { remember: true });

    for (const seal of [browserSession, persistent]) setSessionTimes(await sessionIdOf(seal), { lastSeenAt: ago(2 * HOUR) });
    expect(await sessionStatus(request, browserSession), "browser session after 2 h idle").toBe(401);
    expect(await sessionStatus(request, persistent), "persistent session after 2 h idle").toBe(200);

    setSessionTimes(await sessionIdOf(persistent), { lastSeenAt: ago(3 * DAY + MINUTE) });
    await expectSignedOut(request, persistent);
  });

  test("a session ends at its absolute expiry however active it is: 12 h, or 7 days kept signed in", async ({ request, user, signInThroughApi }) => {
    const sessions = [
      { seal: await signInThroughApi(user), lifetime: 12 * HOUR },
      { seal: await signInThroughApi(user, { remember: true }), lifetime: 7 * DAY },
    ];
    for (const { seal, lifetime } of sessions) {
      const row = sessionRow(await sessionIdOf(seal));
      expect(Date.parse(row.expiresAt) - Date.parse(row.createdAt)).toBe(lifetime);
    }

    for (const { seal } of sessions) {
      // Seen just now, so only the absolute limit can end it.
      setSessionTimes(await sessionIdOf(seal), { lastSeenAt: new Date(), expiresAt: ago(1000) });
      await expectSignedOut(request, seal);
    }
  });

  test('"last seen" is written at most about once a minute', async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    const id = await sessionIdOf(seal);
    const atSignIn = sessionRow(id).lastSeenAt;

    expect(await sessionStatus(request, seal)).toBe(200);
    expect(await sessionStatus(request, seal)).toBe(200);
    expect(sessionRow(id).lastSeenAt, "two requests within the minute").toBe(atSignIn);

    setSessionTimes(id, { lastSeenAt: ago(2 * MINUTE) });
    const before = Date.now();
    expect(await sessionStatus(request, seal)).toBe(200);
    const refreshed = sessionRow(id).lastSeenAt;
    expect(Date.parse(refreshed)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(refreshed)).toBeLessThanOrEqual(Date.now() + 1000);

    expect(await sessionStatus(request, seal)).toBe(200);
    expect(sessionRow(id).lastSeenAt, "the next request within the minute").toBe(refreshed);
  });
});
