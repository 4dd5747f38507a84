// Self-service sign-up: the password policy, field by field; the new account
// signed in at once; usernames unique whatever their case, races included.
import type { Locator, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { browserSessionCookie, createUser, expect, test, userExists } from "./fixtures";

const newName = () => `new-${randomBytes(5).toString("hex")}`;
const newPassphrase = () => `Tidy-Otter-${randomBytes(6).toString("hex")}`;

const usernameField = (page: Page): Locator => page.getByLabel("Username", { exact: true });
const passwordField = (page: Page): Locator => page.getByLabel("Password", { exact: true });
const confirmField = (page: Page): Locator => page.getByLabel("Confirm password", { exact: true });

async function signUp(page: Page, { username, password, confirm = password }: { username: string; password: string; confirm?: string }) {
  await usernameField(page).fill(username);
  await passwordField(page).fill(password);
  await confirmField(page).fill(confirm);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Bodies of the answers to form posts, read as they arrive. */
function recordPostAnswers(page: Page): Promise<string>[] {
  const bodies: Promise<string>[] = [];
  page.on("response", (response) => {
    if (response.request().method() === "POST") bodies.push(response.text().catch(() => ""));
  });
  return bodies;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("the sign-in page links to sign-up, whose fields password managers recognise", async ({ page }) => {
  await page.goto("/login");
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL("/signup");
  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
  await expect(usernameField(page)).toHaveAttribute("autocomplete", "username");
  await expect(passwordField(page)).toHaveAttribute("type", "password");
  await expect(passwordField(page)).toHaveAttribute("autocomplete", "new-password");
  await expect(confirmField(page)).toHaveAttribute("autocomplete", "new-password");
});

test("Show reveals what was typed in a password field, and Hide masks it again", async ({ page }) => {
  await page.goto("/signup");
  await passwordField(page).fill("what I typed");
  await page.getByRole("button", { name: "Show" }).first().click();
  await expect(passwordField(page)).toHaveAttribute("type", "text");
  await expect(passwordField(page)).toHaveValue("what I typed");
  await expect(confirmField(page), "each field has its own toggle").toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Hide" }).click();
  await expect(passwordField(page)).toHaveAttribute("type", "password");
});

const PROBLEMS: Array<{
  name: string;
  input: (username: string) => { username: string; password: string; confirm?: string };
  field: (page: Page) => Locator;
  message: string;
}> = [
  { name: "a username too short", input: () => ({ username: "ab", password: newPassphrase() }), field: usernameField, message: "Username must be 3 to 32 characters." },
  { name: "a username too long", input: () => ({ username: "a".repeat(33), password: newPassphrase() }), field: usernameField, message: "Username must be 3 to 32 characters." },
  { name: "a password too short", input: (username) => ({ username, password: "short-pw-1" }), field: passwordField, message: "Password must be at least 12 characters." },
  { name: "a password containing the username", input: (username) => ({ username, password: `My-${username.toUpperCase()}-pass` }), field: passwordField, message: "Password must not contain the username." },
  { name: "a common password", input: (username) => ({ username, password: "1qaz2wsx3edc" }), field: passwordField, message: "That password is too common. Choose another." },
  // Not on the list: the strength estimate refuses it, in its own words.
  { name: "a guessable password", input: (username) => ({ username, password: "P@ssw0rd2024!" }), field: passwordField, message: "This is similar to a commonly used password. Add more words that are less common." },
  { name: "a confirmation that does not match", input: (username) => ({ username, password: "Tidy-Otter-passphrase", confirm: "Tidy-Otter-passphrasE" }), field: confirmField, message: "The passwords do not match." },
];

test.describe("each problem is shown next to its field", () => {
  for (const { name, input, field, message } of PROBLEMS) {
    test(name, async ({ page }) => {
      const typed = input(newName());
      await page.goto("/signup");
      const answers = recordPostAnswers(page);
      await signUp(page, typed);

      await expect(field(page)).toHaveAccessibleDescription(new RegExp(`${escape(message)}$`));
      await expect(field(page)).toHaveAttribute("aria-invalid", "true");
      await expect(page.getByRole("alert").filter({ hasText: message })).toHaveCount(1);
      for (const other of [usernameField, passwordField, confirmField].filter((candidate) => candidate !== field)) {
        await expect(other(page)).not.toHaveAttribute("aria-invalid", "true");
      }
      await expect(page).toHaveURL("/signup");
      // The username is kept; what was typed as a password never comes back.
      await expect(usernameField(page)).toHaveValue(typed.username);
      await expect(passwordField(page)).toHaveValue("");
      await expect(confirmField(page)).toHaveValue("");
      const bodies = await Promise.all(answers);
      expect(bodies).toHaveLength(1);
      for (const secret of [typed.password, typed.confirm ?? typed.password]) {
        expect(bodies[0]).not.toContain(secret);
        expect(await page.content()).not.toContain(secret);
      }
      expect(userExists(typed.username)).toBe(false);
    });
  }
});

test("a new account is signed in at once, and its password works afterwards", async ({ page, context, request }) => {
  const username = newName();
  const password = newPassphrase();
  await page.goto("/signup");
  // Stored normalised: trimmed, lower-case.
  await signUp(page, { username: `  ${username.toUpperCase()} `, password });
  await expect(page).toHaveURL("/dashboard");
  await expect(page.getByRole("heading", { name: `Welcome ${username}!` })).toBeVisible();
  expect((await browserSessionCookie(context))?.expires, "a browser-session cookie").toBe(-1);

  await page.goto("/account");
  const activity = page.getByTestId("activity").getByRole("listitem");
  await expect(activity.filter({ hasText: "Account created" })).toHaveCount(1);
  await expect(activity.filter({ hasText: "Signed in" })).toHaveCount(1);

  expect((await request.post("/api/session", { data: { username, password } })).status()).toBe(200);
});

test("a username already taken, in any letter case, is refused on its field", async ({ page, request }) => {
  const existing = createUser("taken");
  const password = newPassphrase();
  await page.goto("/signup");
  await signUp(page, { username: existing.username.toUpperCase(), password });

  await expect(usernameField(page)).toHaveAccessibleDescription(/That username is taken\.$/);
  await expect(page).toHaveURL("/signup");
  // The existing account is untouched: its password still works, the new one does not.
  expect((await request.post("/api/session", { data: { username: existing.username, password: existing.password } })).status()).toBe(200);
  expect((await request.post("/api/session", { data: { username: existing.username, password } })).status()).toBe(401);
});

test("two sign-ups racing for one new username: one account, one 'taken', no server error", async ({ browser, request }) => {
  const username = newName();
  // Each submission is held in the browser until both are sent, so both reach the
  // server before either is answered, however slowly the second click comes.
  const order: Array<"sent" | "answered"> = [];
  let releaseBoth = () => {};
  const bothSent = new Promise<void>((resolve) => (releaseBoth = resolve));
  const contenders = await Promise.all(
    [newPassphrase(), newPassphrase()].map(async (password) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const serverErrors: string[] = [];
      page.on("response", (response) => {
        if (response.request().method() === "POST") order.push("answered");
        if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.url()}`);
      });
      await page.goto("/signup");
      await usernameField(page).fill(username);
      await passwordField(page).fill(password);
      await confirmField(page).fill(password);
      await page.route("/signup", async (route) => {
        if (route.request().method() !== "POST") return route.fallback();
        order.push("sent");
        if (order.filter((event) => event === "sent").length === 2) releaseBoth();
        await bothSent;
        await route.continue();
      });
      return { context, page, password, serverErrors };
    }),
  );

  await Promise.all(contenders.map(({ page }) => page.getByRole("button", { name: "Create account" }).click()));

  const outcomes = await Promise.all(
    contenders.map(async ({ page }) => {
      const signedIn = page.getByRole("heading", { name: `Welcome ${username}!` });
      const taken = page.getByRole("alert").filter({ hasText: "That username is taken." });
      await expect(signedIn.or(taken)).toBeVisible();
      return (await signedIn.isVisible()) ? "signed in" : "taken";
    }),
  );
  // A real race: both submissions were sent before either was answered.
  expect(order.slice(0, 2)).toEqual(["sent", "sent"]);
  expect(outcomes.toSorted()).toEqual(["signed in", "taken"]);
  for (const { serverErrors } of contenders) expect(serverErrors).toEqual([]);

  // The account is the winner's: only the winner's password signs in.
  const winner = contenders[outcomes.indexOf("signed in")];
  const loser = contenders[outcomes.indexOf("taken")];
  expect((await request.post("/api/session", { data: { username, password: winner?.password } })).status()).toBe(200);
  expect((await request.post("/api/session", { data: { username, password: loser?.password } })).status()).toBe(401);
  for (const { context } of contenders) await context.close();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  // Clicked before React runs, a toggle would do nothing: it is never offered dead.
  test("the password fields' Show toggles, which need JavaScript, are disabled", async ({ page }) => {
    await page.goto("/signup");
    const toggles = page.getByRole("button", { name: "Show" });
    await expect(toggles).toHaveCount(2);
    for (const toggle of await toggles.all()) await expect(toggle).toBeDisabled();
  });

  test("a field error and then a new account, with plain form posts", async ({ page }) => {
    const username = newName();
    const password = newPassphrase();
    await page.goto("/signup");
    await signUp(page, { username, password, confirm: `${password}x` });
    await expect(confirmField(page)).toHaveAccessibleDescription(/The passwords do not match\.$/);
    await expect(usernameField(page)).toHaveValue(username);

    await signUp(page, { username, password });
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${username}!` })).toBeVisible();
  });
});
