// The JSON API for non-browser clients: every answer a client (or attacker) can get.
import type { APIResponse } from "@playwright/test";
import { SESSION_COOKIE, expect, expectNoLeak, sessionSetCookie, test, withSession } from "./fixtures";

const SEVEN_DAYS = 7 * 24 * 60 * 60;

/** Status and body of a /api/session answer, which must never be cached or leak internals. */
async function answer(response: APIResponse): Promise<{ status: number; body: unknown; text: string }> {
  const text = await response.text();
  expectNoLeak(text);
  expect(response.headers()["cache-control"], `Cache-Control of a ${response.status()}`).toContain("no-store");
  let body: unknown = null;
  if (text !== "") body = JSON.parse(text) as unknown;
  return { status: response.status(), body, text };
}

test.describe("POST /api/session", () => {
  test("right credentials as JSON: 200, the user, and a locked-down cookie that ends with the browser", async ({ request, user }) => {
    const response = await request.post("/api/session", { data: { username: user.username, password: user.password } });
    expect(await answer(response)).toMatchObject({ status: 200, body: { user: { username: user.username } } });

    const cookie = sessionSetCookie(response);
    expect(cookie?.value, `no ${SESSION_COOKIE} in Set-Cookie`).toBeTruthy();
    const attributes = cookie?.attributes ?? new Map<string, string>();
    expect(attributes.has("httponly")).toBe(true);
    expect(attributes.has("secure")).toBe(true);
    expect(attributes.get("samesite")?.toLowerCase()).toBe("lax");
    expect(attributes.get("path")).toBe("/");
    expect(attributes.has("domain"), "a __Host- cookie must be host-only").toBe(false);
    // Without "remember", a browser session: no Max-Age or Expires.
    expect(attributes.has("max-age")).toBe(false);
    expect(attributes.has("expires")).toBe(false);
  });

  test('"remember": true gets a cookie that lasts about 7 days', async ({ request, user }) => {
    const response = await request.post("/api/session", { data: { username: user.username, password: user.password, remember: true } });
    expect(await answer(response)).toMatchObject({ status: 200, body: { user: { username: user.username } } });
    const attributes = sessionSetCookie(response)?.attributes ?? new Map<string, string>();
    const maxAge = Number(attributes.get("max-age"));
    expect(maxAge).toBeGreaterThan(SEVEN_DAYS - 3600);
    expect(maxAge).toBeLessThanOrEqual(SEVEN_DAYS);
    const expires = Date.parse(attributes.get("expires") ?? "");
    expect((expires - Date.now()) / 1000).toBeGreaterThan(SEVEN_DAYS - 3600);
  });

  test("right credentials as a urlencoded form: 200", async ({ request, user }) => {
    const response = await request.post("/api/session", { form: { username: user.username, password: user.password } });
    expect(await answer(response)).toMatchObject({ status: 200, body: { user: { username: user.username } } });
    expect(sessionSetCookie(response)?.value).toBeTruthy();
  });

  test("a wrong password and an unknown user get the very same 401", async ({ request, user }) => {
    const wrong = await request.post("/api/session", { data: { username: user.username, password: `x${user.password}` } });
    const unknown = await request.post("/api/session", { data: { username: `nobody-${user.username}`, password: user.password } });
    const wrongAnswer = await answer(wrong);
    expect(wrongAnswer).toMatchObject({ status: 401, body: { error: "Invalid credentials" } });
    const unknownAnswer = await answer(unknown);
    expect(unknownAnswer.status).toBe(401);
    expect(unknownAnswer.text).toBe(wrongAnswer.text);
    expect(sessionSetCookie(wrong)).toBeUndefined();
    expect(sessionSetCookie(unknown)).toBeUndefined();
  });

  const BAD_BODIES: Array<{ name: string; body: string; status: number; contentType?: string }> = [
    { name: "malformed JSON", body: '{"username": "a", ', status: 400 },
    { name: "a missing password", body: JSON.stringify({ username: "someone" }), status: 400 },
    { name: "a missing username", body: JSON.stringify({ password: "something-long" }), status: 400 },
    { name: "a numeric username", body: JSON.stringify({ username: 42, password: "something-long" }), status: 400 },
    { name: "an array password", body: JSON.stringify({ username: "someone", password: ["a", "b"] }), status: 400 },
    { name: "a null password", body: JSON.stringify({ username: "someone", password: null }), status: 400 },
    // PostgreSQL's text cannot hold one: the name must not reach a query.
    { name: "a username with a NUL character", body: JSON.stringify({ username: "some\u0000one", password: "something-long" }), status: 400 },
    { name: "a JSON array body", body: "[]", status: 400 },
    { name: "a JSON null body", body: "null", status: 400 },
    { name: "a 9 KB body", body: JSON.stringify({ username: "someone", password: "p".repeat(9 * 1024) }), status: 413 },
    { name: "an unsupported content type", body: "username=a&password=b", status: 415, contentType: "text/plain" },
  ];
  for (const { name, body, status, contentType = "application/json" } of BAD_BODIES) {
    test(`${name} is a ${status} with a short error`, async ({ request }) => {
      const response = await request.post("/api/session", { headers: { "Content-Type": contentType }, data: body });
      const result = await answer(response);
      expect(result.status).toBe(status);
      expect(result.body).toEqual({ error: expect.any(String) });
      expect(sessionSetCookie(response)).toBeUndefined();
    });
  }

  test("a password over bcrypt's 72 bytes is a 400 that says so", async ({ request, user }) => {
    // 40 characters, 80 UTF-8 bytes: a character count alone would let it through.
    const response = await request.post("/api/session", { data: { username: user.username, password: "é".repeat(40) } });
    const result = await answer(response);
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: expect.stringContaining("72") });
  });

  // A page on another site must not be able to sign a visitor in (login CSRF).
  test("a foreign Origin is refused with 403 and no cookie", async ({ request, user }) => {
    const response = await request.post("/api/session", {
      headers: { Origin: "https://evil.example" },
      data: { username: user.username, password: user.password },
    });
    expect(await answer(response)).toMatchObject({ status: 403 });
    expect(sessionSetCookie(response)).toBeUndefined();
  });

  test("our own Origin is accepted", async ({ request, user, baseURL }) => {
    const response = await request.post("/api/session", {
      headers: { Origin: new URL(baseURL ?? "").origin },
      data: { username: user.username, password: user.password },
    });
    expect(await answer(response)).toMatchObject({ status: 200, body: { user: { username: user.username } } });
  });
});

test.describe("GET /api/session", () => {
  test("with the session cookie: 200 and the user", async ({ request, user, signInThroughApi }) => {
    const response = await request.get("/api/session", { headers: withSession(await signInThroughApi(user)) });
    expect(await answer(response)).toMatchObject({ status: 200, body: { user: { username: user.username } } });
  });

  test("without a cookie: 401", async ({ request }) => {
    expect(await answer(await request.get("/api/session"))).toMatchObject({ status: 401, body: { error: expect.any(String) } });
  });
});

test.describe("DELETE /api/session", () => {
  test("signs out: 204 and a Set-Cookie that clears the session", async ({ request, user, signInThroughApi }) => {
    const response = await request.delete("/api/session", { headers: withSession(await signInThroughApi(user)) });
    expect(await answer(response)).toMatchObject({ status: 204, text: "" });
    const cleared = sessionSetCookie(response);
    expect(cleared, `no ${SESSION_COOKIE} in Set-Cookie`).toBeDefined();
    expect(cleared?.value).toBe("");
    const maxAge = cleared?.attributes.get("max-age");
    const expires = cleared?.attributes.get("expires");
    expect(maxAge === "0" || (expires !== undefined && Date.parse(expires) < Date.now())).toBe(true);
  });

  // Otherwise any site could sign our users out.
  test("from a foreign Origin: 403 and the cookie left alone", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    const response = await request.delete("/api/session", {
      headers: { ...withSession(seal), Origin: "https://evil.example" },
    });
    expect(await answer(response)).toMatchObject({ status: 403 });
    expect(sessionSetCookie(response)).toBeUndefined();
    expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(200);
  });
});

test("GET /api/health: 200 and ok", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok" });
});

// Found by the benchmark harness, which checks the raw HTML: React split
// "Welcome {name}!" into three text nodes with comments between them.
test("the dashboard's HTML says Welcome {username}! in one piece, for clients that read the markup", async ({
  request,
  user,
  signInThroughApi,
}) => {
  const response = await request.get("/dashboard", { headers: withSession(await signInThroughApi(user)) });
  expect(response.status()).toBe(200);
  expect(await response.text()).toContain(`Welcome ${user.username}!`);
});
