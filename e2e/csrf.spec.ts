// Cross-site request forgery: a page on another site can make the browser send
// forms and fetches here, cookies attached. Every state-changing request that
// says it comes from another site is refused with 403 by middleware, before any
// action or route runs; the same request from this site still works.
import type { APIRequestContext, APIResponse, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { browserSeal, expect, sessionSetCookie, signInThroughForm, test, withSession, type TestUser } from "./fixtures";

const EVIL = "https://evil.example";

type Replay = (headers: Record<string, string>) => Promise<APIResponse>;

/**
 * Lets the browser submit a form once, stops that request before it reaches the
 * server, and returns a way to send the very same bytes with other headers and
 * the given session cookie: what a hostile page makes a victim's browser send.
 */
async function captureSubmission(page: Page, request: APIRequestContext, seal: string, submit: () => Promise<void>): Promise<Replay> {
  let captured: { url: string; headers: Record<string, string>; body: Buffer } | undefined;
  await page.route("**/*", async (route) => {
    if (route.request().method() !== "POST" || captured) return route.fallback();
    // What the replay sets itself (origin, cookie) or the client computes.
    const headers = Object.fromEntries(
      Object.entries(await route.request().allHeaders()).filter(([name]) => !["origin", "cookie", "host", "content-length"].includes(name)),
    );
    captured = { url: route.request().url(), headers, body: route.request().postDataBuffer() ?? Buffer.alloc(0) };
    return route.abort();
  });
  await submit();
  await expect.poll(() => captured !== undefined).toBe(true);
  await page.unroute("**/*");
  if (!captured) throw new Error("The form sent no POST.");
  const { url, headers, body } = captured;
  return (extra) => request.post(url, { maxRedirects: 0, headers: { ...headers, ...withSession(seal), ...extra }, data: body });
}

async function sessionStatus(request: APIRequestContext, seal: string): Promise<number> {
  return (await request.get("/api/session", { headers: withSession(seal) })).status();
}

async function signedInPage(page: Page, user: TestUser, path: string): Promise<string> {
  await page.goto(`/login?next=${encodeURIComponent(path)}`);
  await signInThroughForm(page, user);
  await expect(page).toHaveURL(path);
  return browserSeal(page.context());
}

function expectRefused(response: APIResponse): void {
  expect(response.status()).toBe(403);
  expect(sessionSetCookie(response)).toBeUndefined();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(javaScriptEnabled ? "server actions (Next-Action fetch)" : "server actions (plain form post)", () => {
    test.use({ javaScriptEnabled });

    test("a forged sign-out is refused; the same request from this site signs out", async ({ page, request, user, baseURL }) => {
      const seal = await signedInPage(page, user, "/dashboard");
      const replay = await captureSubmission(page, request, seal, () =>
        page.getByRole("navigation").getByRole("button", { name: "Sign out" }).click(),
      );

      expectRefused(await replay({ Origin: EVIL, "Sec-Fetch-Site": "cross-site" }));
      // Without Origin, the browser's Sec-Fetch-Site alone says where it came from.
      expectRefused(await replay({ "Sec-Fetch-Site": "cross-site" }));
      expectRefused(await replay({ Origin: "null" }));
      expect(await sessionStatus(request, seal), "still signed in after the forgeries").toBe(200);

      const ours = await replay({ Origin: new URL(baseURL ?? "").origin, "Sec-Fetch-Site": "same-origin" });
      expect(ours.status()).toBeLessThan(400);
      expect(await sessionStatus(request, seal), "signed out by the real request").toBe(401);
    });

    test("a forged password change is refused and the password stays", async ({ page, request, user, baseURL }) => {
      const replacement = `Forged-${randomBytes(8).toString("hex")}`;
      const seal = await signedInPage(page, user, "/account");
      const replay = await captureSubmission(page, request, seal, async () => {
        await page.getByLabel("Current password", { exact: true }).fill(user.password);
        await page.getByLabel("New password", { exact: true }).fill(replacement);
        await page.getByLabel("Confirm new password", { exact: true }).fill(replacement);
        await page.getByRole("button", { name: "Change password" }).click();
      });

      expectRefused(await replay({ Origin: EVIL, "Sec-Fetch-Site": "cross-site" }));
      expect((await request.post("/api/session", { data: { username: user.username, password: user.password } })).status()).toBe(200);
      expect((await request.post("/api/session", { data: { username: user.username, password: replacement } })).status()).toBe(401);

      // Control: from this site, the very same bytes do change it.
      expect((await replay({ Origin: new URL(baseURL ?? "").origin, "Sec-Fetch-Site": "same-origin" })).status()).toBeLessThan(400);
      expect((await request.post("/api/session", { data: { username: user.username, password: replacement } })).status()).toBe(200);
    });
  });
}

test.describe("the JSON API", () => {
  const FORGED: Array<{ name: string; headers: Record<string, string> }> = [
    { name: "Origin of another site", headers: { Origin: EVIL } },
    { name: 'Origin "null"', headers: { Origin: "null" } },
    { name: "Sec-Fetch-Site: cross-site without Origin", headers: { "Sec-Fetch-Site": "cross-site" } },
  ];
  for (const { name, headers } of FORGED) {
    test(`POST and DELETE /api/session with ${name}: 403 in JSON, nothing changed`, async ({ request, user, signInThroughApi }) => {
      const signIn = await request.post("/api/session", { headers, data: { username: user.username, password: user.password } });
      expectRefused(signIn);
      expect(await signIn.json()).toEqual({ error: expect.any(String) });

      const seal = await signInThroughApi(user);
      const signOut = await request.delete("/api/session", { headers: { ...headers, ...withSession(seal) } });
      expectRefused(signOut);
      expect(await sessionStatus(request, seal)).toBe(200);
    });
  }

  test("same-site requests from the browser's own pages still work", async ({ request, user, baseURL }) => {
    const origin = new URL(baseURL ?? "").origin;
    const sameSite = { Origin: origin, "Sec-Fetch-Site": "same-origin" };
    const signIn = await request.post("/api/session", { headers: sameSite, data: { username: user.username, password: user.password } });
    expect(signIn.status()).toBe(200);
    const seal = sessionSetCookie(signIn)?.value ?? "";
    expect((await request.delete("/api/session", { headers: { ...sameSite, ...withSession(seal) } })).status()).toBe(204);
    expect(await sessionStatus(request, seal)).toBe(401);
  });
});
