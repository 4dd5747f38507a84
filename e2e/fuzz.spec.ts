// Property-based fuzzing over HTTP, against the production server: arbitrary
// JSON bodies and content types, arbitrary form fields posted as a no-JS browser
// does, arbitrary `next` values and arbitrary session cookies. Whatever comes in:
// never a 5xx, and never a signed-in answer without the right credentials.
// Case count and seed: test/fuzz.ts (FUZZ_RUNS, FUZZ_SEED; `npm run test:fuzz`).
import type { APIRequestContext, APIResponse } from "@playwright/test";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { unsealData } from "iron-session";
import { anyText, assembled, fuzzParameters, fuzzSettings, headerText } from "../test/fuzz";
import { noJsFormData, serverActionInputs, hiddenInputs } from "../test/no-js-form";
import { SESSION_COOKIE, expect, sessionSecret, sessionSetCookie, test, unsealSession, withSession, type TestUser } from "./fixtures";

const RUNS = 40;
const runs = fuzzSettings(RUNS).numRuns;
// Each case is a request or two; some spend a bcrypt compare.
test.beforeEach(({}, testInfo) => testInfo.setTimeout(testInfo.timeout + runs * 500));

// ---- Inputs -------------------------------------------------------------

const REDIRECT_PIECES = [
  "/", "//", "\\", "/\\", ".", "..", "%2e", "%2f", "%5c", "%09", "%0a", "\t", " ", "\uff0f", "@", ":", "?", "#", "&", "=",
  "evil.example", "https:", "javascript:", "localhost:3100", "dashboard", "next=",
];
const nextValue = fc.oneof(assembled(REDIRECT_PIECES).map((rest) => `/${rest}`), assembled(REDIRECT_PIECES), anyText);

/** "ａｂｃ" for "abc": what NFKC folds back, so the same account. */
const fullwidth = (text: string) => text.replace(/[!-~]/g, (character) => String.fromCharCode(character.charCodeAt(0) + 0xfee0));

type Attempt = { username: string; password: string; right: boolean };

/** Sign-in attempts against `user`: the right password under spellings of the name, wrong ones, and strangers. */
function attempts(user: TestUser): fc.Arbitrary<Attempt> {
  const sameAccount = fc.constantFrom(user.username, user.username.toUpperCase(), ` ${user.username}\t`, fullwidth(user.username));
  const nearMiss = fc.constantFrom(user.password.toUpperCase(), `${user.password} `, user.password.slice(0, -1), fullwidth(user.password), "");
  const wrongPassword = fc.oneof(nearMiss, anyText).filter((password) => password !== user.password);
  const stranger = anyText.filter((name) => !name.toLowerCase().includes(user.username));
  return fc.oneof(
    fc.record({ username: sameAccount, password: fc.constant(user.password), right: fc.constant(true) }),
    fc.record({ username: sameAccount, password: wrongPassword, right: fc.constant(false) }),
    fc.record({ username: stranger, password: fc.oneof(fc.constant(user.password), anyText), right: fc.constant(false) }),
  );
}

/**
 * Each case is a new client: an address of its own (documentation range, a
 * header value only; see newClientIp in fixtures.ts) after whatever the client
 * put in front, so per-address throttles do not end the exploration early; and
 * no cookies, which the request context's jar would otherwise carry from an
 * earlier case's sign-in into this one.
 */
function newClient(spoofed: string): Record<string, string> {
  // A /64 of its own: the server counts IPv6 clients by /64.
  const own = `2001:db8:${randomBytes(6).toString("hex").match(/.{4}/g)?.join(":")}::1`;
  return { "X-Forwarded-For": spoofed ? `${spoofed}, ${own}` : own, Cookie: "" };
}

// ---- Answers ------------------------------------------------------------

/** What every answer must be: no server error, and when it redirects, to this site. */
function expectSafeAnswer(response: APIResponse, baseURL: string | undefined, label: string): void {
  expect(response.status(), label).toBeLessThan(500);
  const location = response.headers()["location"];
  if (location !== undefined) expectOnSite(location, baseURL, label);
}

function expectOnSite(target: string, baseURL: string | undefined, label: string): void {
  const site = new URL(baseURL ?? "http://localhost");
  expect(new URL(target, site).origin, `${label}: Location ${target}`).toBe(site.origin);
  // Browsers read "//host" and "/\host" as another site even where URL() does not.
  expect(target, `${label}: Location ${target}`).toMatch(/^(\/(?![/\\])|https?:\/\/)/);
}

/** A session cookie with a value in the answer: someone was just signed in. */
const setsSession = (response: APIResponse) => Boolean(sessionSetCookie(response)?.value);

function caseLabel(sent: unknown, response: APIResponse): string {
  return `${JSON.stringify(sent).slice(0, 400)} → ${response.status()}`;
}

// ---- JSON API -----------------------------------------------------------

type ApiCase = { contentType: string; body: string | Buffer; right: boolean; spoofed: string };

function apiCases(user: TestUser): fc.Arbitrary<ApiCase> {
  const credentialsBody = fc.tuple(attempts(user), fc.option(fc.jsonValue())).map(([attempt, remember]) => ({
    attempt,
    json: JSON.stringify({ username: attempt.username, password: attempt.password, ...(remember === null ? {} : { remember }) }),
  }));
  const sensible = fc.oneof(
    credentialsBody.map(({ attempt, json }) => ({ contentType: "application/json", body: json, right: attempt.right })),
    attempts(user).map((attempt) => ({
      contentType: "application/x-www-form-urlencoded",
      body: new URLSearchParams({ username: attempt.username, password: attempt.password }).toString(),
      right: attempt.right,
    })),
  );
  const contentType = fc.oneof(
    fc.constantFrom("application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""),
    headerText(),
  );
  const anyBody = fc.oneof(
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.record({ username: fc.jsonValue(), password: fc.jsonValue() }).map((value) => JSON.stringify(value)),
    // Fragments of a sign-in body (never the password: these cases must not sign in).
    assembled(['{"username":', '"password":', `"${user.username}"`, "}", "[", ",", '"', "\\u0000", "\\ud800", "=", "&"]),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    // The right credentials in a body over the 4 KB limit: refused whole.
    fc.constant(JSON.stringify({ username: user.username, password: user.password, pad: "x".repeat(5000) })),
  );
  return fc.oneof(
    fc.tuple(sensible, headerText()).map(([sent, spoofed]) => ({ ...sent, spoofed })),
    fc.record({ contentType, body: anyBody, right: fc.constant(false), spoofed: headerText() }),
  );
}

test("POST /api/session: any body under any content type is a clear 4xx unless the credentials are right", async ({ request, user, baseURL }) => {
  const origin = new URL(baseURL ?? "").origin;
  let signedIn = 0;
  await fc.assert(
    fc.asyncProperty(apiCases(user), async (sent) => {
      const response = await request.post("/api/session", {
        headers: { "Content-Type": sent.contentType, Origin: origin, ...newClient(sent.spoofed) },
        data: sent.body,
      });
      const label = caseLabel(sent, response);
      expectSafeAnswer(response, baseURL, label);
      expect([200, 400, 401, 413, 415, 429], label).toContain(response.status());
      const session = response.status() === 200 || setsSession(response);
      if (session) signedIn += 1;
      if (!sent.right) expect(session, `signed in without the right credentials: ${label}`).toBe(false);
      else if (/^application\/(json|x-www-form-urlencoded)/.test(sent.contentType)) expect([200, 429], label).toContain(response.status());
    }),
    fuzzParameters(RUNS),
  );
  test.info().annotations.push({ type: "signed in", description: String(signedIn) });
});

// ---- Forms, posted as a browser without JavaScript does -----------------------

/** The page's server-action inputs, scraped as a browser would render them. */
async function actionInputsOf(request: APIRequestContext, path: string): Promise<Array<[string, string]>> {
  const page = await request.get(path);
  expect(page.status(), `GET ${path}`).toBe(200);
  return serverActionInputs(await page.text());
}

/** A form field's value: text, or a file upload where text was expected. */
type FieldValue = string | { upload: string };
const upload = fc.string({ maxLength: 16 }).map((content): FieldValue => ({ upload: content }));
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof({ arbitrary: anyText, weight: 5 }, { arbitrary: upload, weight: 1 });
/**
 * Extra fields, as a hand-made form may send: any name but Next's own `$ACTION…`
 * ones, whose malformed values Next.js answers with a 500 (see "KNOWN" below).
 */
const extraFields = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom("username", "password", "confirm", "next", "remember"), headerText(12).filter((name) => !name.startsWith("$"))), fieldValue),
  { maxLength: 3 },
);

function formFields(fields: Array<[string, FieldValue | null]>): Array<[string, string | Blob]> {
  return fields.flatMap(([name, value]): Array<[string, string | Blob]> => {
    if (value === null) return [];
    return [[name, typeof value === "string" ? value : new Blob([value.upload], { type: "application/octet-stream" })]];
  });
}

async function postForm(request: APIRequestContext, path: string, origin: string, actionInputs: Array<[string, string]>, fields: Array<[string, string | Blob]>, spoofed: string) {
  return request.post(path, {
    headers: { Origin: origin, ...newClient(spoofed) },
    multipart: noJsFormData(actionInputs, fields),
    maxRedirects: 0,
  });
}

test("the sign-in form: any fields, as a no-JS browser posts them, sign in only with the right password", async ({ request, user, baseURL }) => {
  const origin = new URL(baseURL ?? "").origin;
  const actionInputs = await actionInputsOf(request, "/login");
  let signedIn = 0;
  const cases = fc.record({
    attempt: attempts(user),
    // One field sent as a file upload instead of text.
    asFile: fc.constantFrom(null, null, "username", "password"),
    next: fc.option(nextValue),
    remember: fc.option(fc.oneof(fc.constant("on"), anyText)),
    extra: extraFields,
    spoofed: headerText(),
  });
  await fc.assert(
    fc.asyncProperty(cases, async (sent) => {
      const { attempt, asFile } = sent;
      const fields = formFields([
        ["next", sent.next],
        ["username", asFile === "username" ? { upload: attempt.username } : attempt.username],
        ["password", asFile === "password" ? { upload: attempt.password } : attempt.password],
        ["remember", sent.remember],
        ...sent.extra,
      ]);
      const response = await postForm(request, "/login", origin, actionInputs, fields, sent.spoofed);
      const label = caseLabel(sent, response);
      expectSafeAnswer(response, baseURL, label);
      const session = setsSession(response) || response.status() === 303;
      if (session) signedIn += 1;
      if (!attempt.right || asFile !== null) expect(session, `signed in without the right credentials: ${label}`).toBe(false);
      // Right, or refused for now by the account's throttle (the message is on the page).
      else expect([200, 303], label).toContain(response.status());
    }),
    fuzzParameters(RUNS),
  );
  test.info().annotations.push({ type: "signed in", description: String(signedIn) });
});

test("the sign-up form: any fields; a session only for a new account that these fields sign in to", async ({ request, user, baseURL }) => {
  const origin = new URL(baseURL ?? "").origin;
  const actionInputs = await actionInputsOf(request, "/signup");
  const passphrase = fc
    .array(fc.constantFrom("vellum", "otter", "quasar", "lantern", "fjord", "mosaic", "Ünïcødé", "🦦"), { minLength: 2, maxLength: 6 })
    .map((words) => words.join(" "));
  // The test's own user under spellings that NFKC and lower-casing fold together: taken.
  const taken = fc.constantFrom(user.username, user.username.toUpperCase(), fullwidth(user.username), ` ${user.username} `);
  const cases = fc.record({
    username: fc.oneof(
      fc.record({ value: fc.oneof(fc.stringMatching(/^fz[a-z0-9._-]{4,20}$/), fieldValue), taken: fc.constant(false) }),
      fc.record({ value: taken, taken: fc.constant(true) }),
    ),
    password: fc.oneof(passphrase, fieldValue),
    confirm: fc.option(fieldValue),
    extra: extraFields,
    spoofed: headerText(),
  });
  let created = 0;
  await fc.assert(
    fc.asyncProperty(cases, async (sent) => {
      const { username, password } = sent;
      const fields = formFields([["username", username.value], ["password", password], ["confirm", sent.confirm ?? password], ...sent.extra]);
      const response = await postForm(request, "/signup", origin, actionInputs, fields, sent.spoofed);
      const label = caseLabel(sent, response);
      expectSafeAnswer(response, baseURL, label);
      const seal = sessionSetCookie(response)?.value;
      if (!seal && response.status() !== 303) return;

      // A session: it must be for a new account that these very fields sign in to.
      expect(username.taken, `signed in under a taken name: ${label}`).toBe(false);
      expect(seal, `a redirect without a session: ${label}`).toBeTruthy();
      if (typeof username.value !== "string" || typeof password !== "string") throw new Error(`signed up from a file upload: ${label}`);
      const me = await request.get("/api/session", { headers: withSession(seal ?? "") });
      expect(me.status(), label).toBe(200);
      const signIn = await request.post("/api/session", {
        headers: { Origin: origin, ...newClient("") },
        data: { username: username.value, password },
      });
      expect(signIn.status(), `the new account does not take its own credentials: ${label}`).toBe(200);
      expect(await signIn.json()).toEqual(await me.json());
      created += 1;
    }),
    fuzzParameters(RUNS),
  );
  test.info().annotations.push({ type: "accounts created", description: String(created) });
});

// Next.js 16.4's own decoding of a server-action post, before any code of this
// app runs, answered these with a 500 (the server logged "⨯ Error: Body exceeded
// 1 MB limit.", "⨯ Error: Connection closed.", "⨯ TypeError: Failed to parse body
// as FormData."); middleware now refuses them first (lib/http/form-post.ts).
const NEXT_ACTION_500S: Array<{ name: string; send: (actionInputs: Array<[string, string]>) => { headers?: Record<string, string>; multipart?: FormData; data?: string } }> = [
  {
    name: "a form field over the 1 MB server-action body limit",
    send: (inputs) => ({ multipart: noJsFormData(inputs, [["username", "someone"], ["password", "x".repeat(1_100_000)]]) }),
  },
  {
    name: "a post without $ACTION_1:1 (the action's previous state)",
    send: (inputs) => ({ multipart: noJsFormData(inputs.filter(([name]) => name !== "$ACTION_1:1"), [["username", "someone"], ["password", "x"]]) }),
  },
  {
    name: "a multipart body that does not parse",
    send: () => ({ headers: { "Content-Type": "multipart/form-data; boundary=zzz" }, data: "garbage" }),
  },
  {
    name: "an action's previous state that is not JSON",
    send: (inputs) => ({ multipart: noJsFormData(inputs.map(([name, value]) => [name, name === "$ACTION_1:1" ? "{not json" : value]), [["username", "someone"], ["password", "x"]]) }),
  },
];
for (const { name, send } of NEXT_ACTION_500S) {
  test(`${name} to the sign-in form is a 4xx, not Next.js's 500`, async ({ request, baseURL }) => {
    const actionInputs = await actionInputsOf(request, "/login");
    const { headers = {}, ...body } = send(actionInputs);
    const response = await request.post("/login", { headers: { Origin: new URL(baseURL ?? "").origin, ...newClient(""), ...headers }, ...body, maxRedirects: 0 });
    expect([400, 413]).toContain(response.status());
  });
}

// ---- Where `next` sends people -------------------------------------------------

/** `?next=` as a link would carry it: encoded, raw, or twice. */
const nextQuery = fc.oneof(
  nextValue.map((next) => `?next=${encodeURIComponent(next)}`),
  nextValue.map((next) => `?next=${next}`),
  fc.tuple(nextValue, nextValue).map(([first, second]) => `?next=${encodeURIComponent(first)}&next=${encodeURIComponent(second)}`),
);

test("?next= on /login: the form carries, and a signed-in visitor is sent to, a path on this site", async ({ request, user, baseURL, signInThroughApi }) => {
  const seal = await signInThroughApi(user);
  await fc.assert(
    fc.asyncProperty(nextQuery, async (query) => {
      const signedOut = await request.get(`/login${query}`, { maxRedirects: 0 });
      expectSafeAnswer(signedOut, baseURL, `GET /login${query} signed out`);
      expect(signedOut.status()).toBe(200);
      const carried = hiddenInputs(await signedOut.text()).find(([name]) => name === "next")?.[1] ?? "";
      expectOnSite(carried, baseURL, `the form's next for ${query}`);

      const signedIn = await request.get(`/login${query}`, { maxRedirects: 0, headers: withSession(seal) });
      expectSafeAnswer(signedIn, baseURL, `GET /login${query} signed in`);
      expect(signedIn.status()).toBe(307);
    }),
    fuzzParameters(RUNS),
  );
});

test("after a real sign-in through the form, the redirect stays on this site, whatever next was", async ({ request, user, baseURL }) => {
  const origin = new URL(baseURL ?? "").origin;
  const actionInputs = await actionInputsOf(request, "/login");
  await fc.assert(
    fc.asyncProperty(nextQuery, fc.option(fc.oneof(nextValue, upload)), async (query, next) => {
      const fields = formFields([["next", next], ["username", user.username], ["password", user.password]]);
      const response = await postForm(request, `/login${query}`, origin, actionInputs, fields, "");
      const label = `POST /login${query} with next=${JSON.stringify(next)} → ${response.status()}`;
      expectSafeAnswer(response, baseURL, label);
      expect(response.status(), label).toBe(303);
      expect(setsSession(response), label).toBe(true);
    }),
    fuzzParameters(RUNS),
  );
});

test("a signed-out visit to any protected path is sent to sign in on this site", async ({ request, baseURL }) => {
  const suffix = fc.oneof(assembled(REDIRECT_PIECES).map((rest) => `/${rest}`), nextQuery, fc.constant(""));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom("/dashboard", "/protected", "/account"), suffix, async (page, rest) => {
      const response = await request.get(`${page}${rest}`, { maxRedirects: 0 });
      const label = `GET ${page}${rest} → ${response.status()}`;
      expectSafeAnswer(response, baseURL, label);
      expect(await response.text(), label).not.toContain("Welcome");
    }),
    fuzzParameters(RUNS),
  );
});

// ---- Session cookies ----------------------------------------------------------

type CookiePair = [name: string, value: string];

/** Cookie headers built around a real seal: mutated, cut, renamed, split, repeated, or none at all. */
function cookieHeaders(seal: string): fc.Arbitrary<CookiePair[]> {
  const at = (index: number) => index % (seal.length + 1);
  const cookieText = headerText(60).map((text) => text.replace(/;/g, ""));
  const value = fc.oneof(
    fc.constant(seal),
    fc.tuple(fc.nat(), fc.constantFrom(..."AZaz09-_*~.=%")).map(([index, character]) => seal.slice(0, at(index)) + character + seal.slice(at(index) + 1)),
    fc.nat().map((index) => seal.slice(0, at(index))),
    fc.tuple(fc.nat(), cookieText).map(([index, text]) => seal.slice(0, at(index)) + text + seal.slice(at(index))),
    fc.constantFrom(encodeURIComponent(seal), `${seal}~9`, `${seal}${seal}`, seal.split("*").reverse().join("*")),
    cookieText,
  );
  const name = fc.constantFrom(SESSION_COOKIE, SESSION_COOKIE, "keycard_session", "__host-keycard_session", `${SESSION_COOKIE} `, `${SESSION_COOKIE}.0`, `${SESSION_COOKIE}.1`);
  const split = fc.nat().map((index): CookiePair[] => [
    [`${SESSION_COOKIE}.0`, seal.slice(0, at(index))],
    [`${SESSION_COOKIE}.1`, seal.slice(at(index))],
  ]);
  return fc.oneof(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 3 }), split);
}

/**
 * Whether any value the server could read as its session cookie (by name, plain or
 * percent-decoded, whole or as numbered chunks) is a genuine seal of `sid`. Only
 * the holder of the secret can make one, so only such a cookie may sign in.
 */
async function carriesSession(pairs: CookiePair[], sid: string): Promise<boolean> {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const valuesOf = (name: string) => pairs.filter(([candidate]) => candidate === name).map(([, value]) => value);
  // A repeated name may be read first or last: every combination of the chunks counts.
  let chunked = [""];
  for (let index = 0; valuesOf(`${SESSION_COOKIE}.${index}`).length > 0; index++) {
    chunked = chunked.flatMap((start) => valuesOf(`${SESSION_COOKIE}.${index}`).map((chunk) => start + chunk));
  }
  const candidates = [...valuesOf(SESSION_COOKIE), ...chunked];
  for (const candidate of candidates.flatMap((value) => [value, decode(value)])) {
    const data = await unsealData<{ sid?: unknown }>(candidate, { password: { 1: sessionSecret() } });
    if (data.sid === sid) return true;
  }
  return false;
}

test("session cookies: random, mutated, cut, renamed or split seals sign no one in; the real one still works", async ({ request, user, signInThroughApi }) => {
  const seal = await signInThroughApi(user);
  const { sid } = await unsealSession(seal);
  let genuine = 0;
  await fc.assert(
    fc.asyncProperty(cookieHeaders(seal), async (pairs) => {
      const headers = { Cookie: pairs.map(([name, value]) => `${name}=${value}`).join("; ") };
      const api = await request.get("/api/session", { headers });
      const dashboard = await request.get("/dashboard", { headers, maxRedirects: 0 });
      const label = `Cookie: ${headers.Cookie.slice(0, 400)} → ${api.status()}, ${dashboard.status()}`;
      expect(api.status(), label).toBeLessThan(500);
      expect(dashboard.status(), label).toBeLessThan(500);
      const signedIn = api.status() === 200 || (dashboard.status() === 200 && (await dashboard.text()).includes("Welcome"));
      if (!(await carriesSession(pairs, sid))) expect(signedIn, `signed in by a cookie that is no genuine seal: ${label}`).toBe(false);
      else genuine += 1;
    }),
    fuzzParameters(RUNS),
  );
  expect(genuine, "no case carried the real seal: the generator is broken").toBeGreaterThan(0);
  // None of that signed the real session out.
  expect((await request.get("/api/session", { headers: withSession(seal) })).status()).toBe(200);
});
