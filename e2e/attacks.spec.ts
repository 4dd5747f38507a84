// What an attacker without valid credentials can try, and what they get back.
import type { APIRequestContext, APIResponse, Page } from "@playwright/test";
import { sealData } from "iron-session";
import { randomBytes } from "node:crypto";
import {
  SESSION_COOKIE,
  createUser,
  expect,
  expectNoLeak,
  expectSentToSignIn,
  insertSession,
  sealSession,
  sessionSecret,
  sessionSetCookie,
  signInThroughForm,
  test,
  userIdOf,
  withSession,
  type TestUser,
} from "./fixtures";

const PROTECTED_PAGES = [
  { path: "/dashboard", secret: "Welcome" },
  { path: "/protected", secret: "This is a protected area." },
  { path: "/account", secret: "Active sessions" },
];

test.describe("middleware bypass (CVE-2025-29927)", () => {
  const HEADER_VALUES = [
    "middleware:middleware:middleware:middleware:middleware",
    "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware",
    "middleware",
  ];
  for (const value of HEADER_VALUES) {
    for (const { path, secret } of PROTECTED_PAGES) {
      test(`x-middleware-subrequest: ${value.slice(0, 22)}… does not open ${path}`, async ({ request }) => {
        const response = await request.get(path, { maxRedirects: 0, headers: { "x-middleware-subrequest": value } });
        await expectSentToSignIn(response, path, secret);
      });
    }
  }
});

test.describe("forged or damaged session cookies", () => {
  const DAMAGE: Array<{ name: string; damage: (seal: string) => string }> = [
    {
      name: "one character flipped in the middle",
      damage: (seal) => {
        const middle = Math.floor(seal.length / 2);
        const flipped = seal[middle] === "A" ? "B" : "A";
        return seal.slice(0, middle) + flipped + seal.slice(middle + 1);
      },
    },
    { name: "truncated", damage: (seal) => seal.slice(0, Math.floor(seal.length * 0.7)) },
    { name: "garbage", damage: () => "not-a-seal-at-all" },
    { name: "empty", damage: () => "" },
    { name: "huge (3500 characters)", damage: () => "Fe26.2*1*" + "A".repeat(3491) },
  ];

  for (const { name, damage } of DAMAGE) {
    test(`a cookie ${name} is a stranger, not an error`, async ({ request, user, signInThroughApi }) => {
      const forged = damage(await signInThroughApi(user));
      const page = await request.get("/dashboard", { maxRedirects: 0, headers: withSession(forged) });
      await expectSentToSignIn(page, "/dashboard", "Welcome");
      const api = await request.get("/api/session", { headers: withSession(forged) });
      expect(api.status()).toBe(401);
      expectNoLeak(await api.text());
    });
  }

  test("a seal made with the server's secret for a live session is accepted (control)", async ({ request, user }) => {
    const uid = userIdOf(user.username);
    const seal = await sealSession({ sid: insertSession(uid), uid }, { ttlSeconds: 3600 });
    const response = await request.get("/api/session", { headers: withSession(seal) });
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ user: { username: user.username } });
  });

  // The seal is genuine (made with the server's secret), but the database has no
  // such session: what a leaked secret alone, or a made-up token, gets an attacker.
  test("a valid seal for an unknown session token is signed out", async ({ request, user }) => {
    const seal = await sealSession({ sid: randomBytes(16).toString("base64url"), uid: userIdOf(user.username) }, { ttlSeconds: 3600 });
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
    for (const { path, secret } of PROTECTED_PAGES) {
      const response = await request.get(path, { maxRedirects: 0, headers: withSession(seal) });
      await expectSentToSignIn(response, path, secret);
    }
  });

  test("another user's live session token sealed with my user id is signed out", async ({ request, user }) => {
    const victim = createUser("victim");
    const token = insertSession(userIdOf(victim.username));
    // Control: the token is live for its owner.
    const owners = await sealSession({ sid: token, uid: userIdOf(victim.username) }, { ttlSeconds: 3600 });
    expect((await request.get("/api/session", { headers: withSession(owners) })).status()).toBe(200);

    const swapped = await sealSession({ sid: token, uid: userIdOf(user.username) }, { ttlSeconds: 3600 });
    expect((await request.get("/api/session", { headers: withSession(swapped) })).status()).toBe(401);
  });

  test("an expired seal is signed out, though its session is live", async ({ request, user }) => {
    const uid = userIdOf(user.username);
    const sid = insertSession(uid);
    const twoHoursAgo = Date.now() - 2 * 60 * 60 * 1000;
    const seal = await sealSession({ sid, uid }, { ttlSeconds: 60, sealedAt: twoHoursAgo });
    const page = await request.get("/dashboard", { maxRedirects: 0, headers: withSession(seal) });
    await expectSentToSignIn(page, "/dashboard", "Welcome");
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
  });

  // Middleware trusts any valid seal; only the DAL's database check stops this one.
  test("a valid seal for a user who does not exist is signed out", async ({ request }) => {
    const seal = await sealSession({ sid: randomBytes(16).toString("base64url"), uid: 2_000_000_000 }, { ttlSeconds: 3600 });
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
    for (const { path, secret } of PROTECTED_PAGES) {
      const response = await request.get(path, { maxRedirects: 0, headers: withSession(seal) });
      await expectSentToSignIn(response, path, secret);
    }
  });

  test("a seal in the old shape ({ userId, username }) is signed out", async ({ request, user }) => {
    const seal = await sealData({ userId: userIdOf(user.username), username: user.username }, { password: sessionSecret(), ttl: 3600 });
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(401);
  });
});

test.describe("caching of signed-in pages", () => {
  for (const { path, secret } of PROTECTED_PAGES) {
    // A shared cache or the back button must not hand this page to the next person.
    test(`${path} is sent with Cache-Control: no-store`, async ({ request, user, signInThroughApi }) => {
      const response = await request.get(path, { maxRedirects: 0, headers: withSession(await signInThroughApi(user)) });
      expect(response.status()).toBe(200);
      expect(await response.text()).toContain(secret);
      expect(response.headers()["cache-control"]).toContain("no-store");
    });
  }
});

test.describe("sign-in server action from another origin", () => {
  /**
   * Signs in through the form once, keeps the exact request the browser sent,
   * and returns a way to replay those bytes under any Origin.
   */
  async function captureSignIn(page: Page, request: APIRequestContext, user: TestUser) {
    await page.goto("/login");
    const submitted = page.waitForRequest((candidate) => candidate.method() === "POST");
    await signInThroughForm(page, user);
    const action = await submitted;
    await expect(page).toHaveURL("/dashboard");
    const { "content-type": contentType = "", "next-action": nextAction } = await action.allHeaders();
    return (origin: string) =>
      request.post("/login", {
        maxRedirects: 0,
        headers: { "Content-Type": contentType, Origin: origin, ...(nextAction ? { "Next-Action": nextAction, Accept: "text/x-component" } : {}) },
        data: action.postDataBuffer() ?? Buffer.alloc(0),
      });
  }

  async function expectRefused(replay: (origin: string) => Promise<APIResponse>, page: Page) {
    const forged = await replay("https://evil.example");
    // middleware.ts refuses it before Next.js runs the action.
    expect(forged.status()).toBe(403);
    expect(sessionSetCookie(forged), `${SESSION_COOKIE} set for a forged origin`).toBeUndefined();
    expectNoLeak(await forged.text());

    // Control: the same bytes from our own origin do sign in, so the refusal above was the origin check.
    const ours = await replay(new URL(page.url()).origin);
    expect(ours.status()).toBeLessThan(400);
    expect(sessionSetCookie(ours)?.value).toBeTruthy();
  }

  test("a replayed Next-Action request is refused", async ({ page, request, user }) => {
    const replay = await captureSignIn(page, request, user);
    await expectRefused(replay, page);
  });

  test.describe("as a plain form post (what a hostile page can send)", () => {
    test.use({ javaScriptEnabled: false });

    // Login CSRF: a page elsewhere must not sign the visitor in to an account of its choosing.
    test("is refused", async ({ page, request, user }) => {
      const replay = await captureSignIn(page, request, user);
      await expectRefused(replay, page);
    });
  });
});
