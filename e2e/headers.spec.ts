// Hardening headers on every answer, and a Content-Security-Policy strict enough
// to stop injected scripts that still lets the real pages work, with and without
// JavaScript, without a single violation.
import type { APIRequestContext, APIResponse, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { expect, signInThroughForm, test, withSession } from "./fixtures";

/** The policy's directives by name, each with its list of sources. */
function directivesOf(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((directive) => directive.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = "", ...sources]) => [name.toLowerCase(), sources]),
  );
}

/** Checks the hardening headers of one answer; returns the CSP's nonce. */
function expectHardened(response: APIResponse, what: string): string {
  const headers = response.headers();
  expect(headers["x-content-type-options"], `${what}: X-Content-Type-Options`).toBe("nosniff");
  expect(headers["referrer-policy"], `${what}: Referrer-Policy`).toBe("strict-origin-when-cross-origin");
  expect(headers["permissions-policy"], `${what}: Permissions-Policy`).toContain("camera=()");
  expect(headers["x-frame-options"], `${what}: X-Frame-Options`).toBe("DENY");
  expect(headers["cross-origin-opener-policy"], `${what}: Cross-Origin-Opener-Policy`).toBe("same-origin");
  const csp = headers["content-security-policy"];
  expect(csp, `${what}: Content-Security-Policy`).toBeDefined();
  const directives = directivesOf(csp ?? "");
  const scriptSrc = directives.get("script-src") ?? [];
  const nonce = scriptSrc.find((source) => /^'nonce-[A-Za-z0-9+/=]{16,}'$/.test(source));
  expect(nonce, `${what}: script-src ${scriptSrc.join(" ")}`).toBeDefined();
  expect(scriptSrc).toEqual(expect.arrayContaining(["'self'", "'strict-dynamic'"]));
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  expect(scriptSrc).not.toContain("'unsafe-eval'");
  expect(directives.get("default-src"), what).toEqual(["'self'"]);
  expect(directives.get("frame-ancestors"), what).toEqual(["'none'"]);
  expect(directives.get("object-src"), what).toEqual(["'none'"]);
  expect(directives.get("base-uri"), what).toEqual(["'none'"]);
  expect(directives.get("form-action"), what).toEqual(["'self'"]);
  return (nonce ?? "").slice("'nonce-".length, -1);
}

test.describe("every answer is hardened", () => {
  const ANSWERS: Array<{ what: string; send: (request: APIRequestContext) => Promise<APIResponse> }> = [
    { what: "GET /login", send: (request) => request.get("/login") },
    { what: "GET /signup", send: (request) => request.get("/signup") },
    { what: "GET of a missing page (404)", send: (request) => request.get("/no-such-page") },
    { what: "GET /api/session (401)", send: (request) => request.get("/api/session") },
    { what: "POST /api/session (400)", send: (request) => request.post("/api/session", { data: {} }) },
    { what: "GET /api/health", send: (request) => request.get("/api/health") },
  ];
  for (const { what, send } of ANSWERS) {
    test(what, async ({ request }) => {
      expectHardened(await send(request), what);
    });
  }

  test("a redirect gets the static headers and a policy that lets nothing load, run or frame", async ({ request }) => {
    const response = await request.get("/dashboard", { maxRedirects: 0 });
    expect(response.status()).toBe(307);
    const headers = response.headers();
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    const directives = directivesOf(headers["content-security-policy"] ?? "");
    expect(directives.get("default-src")).toEqual(["'none'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(directives.get("base-uri")).toEqual(["'none'"]);
    expect(directives.get("form-action")).toEqual(["'none'"]);
    expect(directives.has("script-src")).toBe(false);
  });

  test("static files, which middleware never sees, get the static headers too", async ({ request }) => {
    const page = await (await request.get("/login")).text();
    const script = /<script[^>]*\ssrc="(\/_next\/static\/[^"]+)"/.exec(page)?.[1];
    expect(script, "a script from /_next/static on /login").toBeDefined();
    for (const path of ["/keycard.css", script ?? ""]) {
      const response = await request.get(path);
      expect(response.status(), path).toBe(200);
      const headers = response.headers();
      expect(headers["x-content-type-options"], path).toBe("nosniff");
      expect(headers["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
      expect(headers["x-frame-options"], path).toBe("DENY");
    }
  });

  // Next.js answers these itself, before any routing: headers() in next.config.mjs would miss them.
  test("Next.js's own redirects, for a trailing or a doubled slash, get the static headers too", async ({ request, baseURL }) => {
    for (const path of ["/login/", "//login", "/api//health"]) {
      const response = await request.get(`${baseURL}${path}`, { maxRedirects: 0 });
      expect(response.status(), path).toBe(308);
      const headers = response.headers();
      expect(headers["x-content-type-options"], path).toBe("nosniff");
      expect(headers["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
      expect(headers["x-frame-options"], path).toBe("DENY");
      expect(headers["cross-origin-opener-policy"], path).toBe("same-origin");
    }
  });

  test("the signed-in pages too", async ({ request, user, signInThroughApi }) => {
    const seal = await signInThroughApi(user);
    for (const path of ["/dashboard", "/protected", "/account"]) {
      const response = await request.get(path, { maxRedirects: 0, headers: withSession(seal) });
      expect(response.status(), path).toBe(200);
      expectHardened(response, path);
    }
  });

  test("each request gets a fresh nonce, and every script on the page carries it", async ({ request }) => {
    const first = await request.get("/login");
    const second = await request.get("/login");
    const nonce = expectHardened(first, "first");
    expect(expectHardened(second, "second")).not.toBe(nonce);

    const scripts = (await first.text()).match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
  });

  // Next.js takes the nonce from the request's policy header: one sent by the
  // client (or a proxy cache it poisoned) must not name the nonce scripts get.
  test("a policy header sent with the request does not choose the nonce", async ({ request }) => {
    const chosen = "attackerChosenNonce0123";
    for (const header of ["Content-Security-Policy", "Content-Security-Policy-Report-Only"]) {
      const response = await request.get("/login", { headers: { [header]: `script-src 'nonce-${chosen}'` } });
      const nonce = expectHardened(response, header);
      expect(nonce).not.toBe(chosen);
      const html = await response.text();
      expect(html, header).not.toContain(chosen);
      for (const script of html.match(/<script\b[^>]*>/g) ?? []) expect(script).toContain(`nonce="${nonce}"`);
    }
  });

  test("HSTS only when a proxy says the request came over HTTPS", async ({ request }) => {
    expect((await request.get("/login")).headers()["strict-transport-security"]).toBeUndefined();
    const https = await request.get("/login", { headers: { "X-Forwarded-Proto": "https" } });
    const maxAge = Number(/max-age=(\d+)/.exec(https.headers()["strict-transport-security"] ?? "")?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(365 * 24 * 60 * 60);
  });
});

/** Collects every CSP violation and page error a page reports. */
async function watchForViolations(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (/content.security.policy/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Also what the browser blocks silently (no console line for some directives).
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return problems;
}

test("signing up, in, changing the password and signing out runs without a CSP violation", async ({ page }) => {
  const problems = await watchForViolations(page);
  const username = `csp-${randomBytes(5).toString("hex")}`;
  const password = `Tidy-Otter-${randomBytes(6).toString("hex")}`;
  const replacement = `Brave-Heron-${randomBytes(6).toString("hex")}`;

  await page.goto("/signup");
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Welcome ${username}!` })).toBeVisible();

  await page.getByRole("link", { name: "Manage your account" }).click();
  await expect(page).toHaveURL("/account");
  // The Show toggle needs JavaScript: working, it proves the nonced scripts ran.
  const current = page.getByLabel("Current password", { exact: true });
  await current.fill(password);
  await expect(current).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show" }).first().click();
  await expect(current).toHaveAttribute("type", "text");
  await submitNewPassword(page, replacement);

  await page.getByRole("navigation").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL("/login?signed-out=1");
  await signInThroughForm(page, { username, password: replacement });
  await expect(page).toHaveURL("/dashboard");
  await page.getByRole("link", { name: "Protected" }).click();
  await expect(page.getByText("This is a protected area.")).toBeVisible();
  await page.getByRole("navigation").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL("/login?signed-out=1");

  expect(problems).toEqual([]);
  // The stylesheet loaded and applies (a missing one is no violation).
  expect(await page.evaluate(() => getComputedStyle(document.body).display)).toBe("grid");
  // Control: the watch does see a violation (an inline style attribute is one).
  await page.evaluate(() => document.body.setAttribute("style", "color: red"));
  await expect.poll(() => problems.join("\n")).toContain("style-src");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the pages work under the CSP: sign in, account, change password, sign out", async ({ page, request, user }) => {
    const replacement = `Brave-Heron-${randomBytes(6).toString("hex")}`;
    await page.goto("/login");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/dashboard");
    await page.getByRole("link", { name: "Manage your account" }).click();
    await expect(page.getByTestId("sessions").getByTestId("session")).toHaveCount(1);

    await page.getByLabel("Current password", { exact: true }).fill(user.password);
    await submitNewPassword(page, replacement);

    await page.getByRole("navigation").getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/login?signed-out=1");
    expect((await request.post("/api/session", { data: { username: user.username, password: replacement } })).status()).toBe(200);
  });
});

/** Fills in the new password twice on /account (the current one is already typed) and expects success. */
async function submitNewPassword(page: Page, replacement: string): Promise<void> {
  await page.getByLabel("New password", { exact: true }).fill(replacement);
  await page.getByLabel("Confirm new password", { exact: true }).fill(replacement);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("change-password-message")).toHaveText("Password changed. Your other sessions were signed out.");
}
