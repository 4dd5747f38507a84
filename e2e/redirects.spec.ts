// Strangers are sent to sign in and brought back; the way back never leaves the site.
import { expect, expectSentToSignIn, forgeHiddenField, signInThroughForm, test } from "./fixtures";

test.describe("redirect and return", () => {
  test("a signed-out visit to /protected?x=1 is a 307 to /login carrying the way back", async ({ request }) => {
    const response = await request.get("/protected?x=1", { maxRedirects: 0 });
    await expectSentToSignIn(response, "/protected?x=1", "This is a protected area.");
    expect(response.headers()["location"]).toMatch(/\/login\?next=%2Fprotected%3Fx%3D1$/);
  });

  test("signing in after the redirect lands on the page first asked for", async ({ page, user }) => {
    await page.goto("/protected?x=1");
    await expect(page).toHaveURL("/login?next=%2Fprotected%3Fx%3D1");
    await signInThroughForm(page, user);
    await expect(page).toHaveURL("/protected?x=1");
    await expect(page.getByText("This is a protected area.")).toBeVisible();
  });

  for (const path of ["/dashboard/anything", "/protected/deeper/still"]) {
    test(`a signed-out visit to ${path} is redirected to sign in too`, async ({ request }) => {
      await expectSentToSignIn(await request.get(path, { maxRedirects: 0 }), path, "Welcome");
    });
  }
});

// Each `next` a phishing link could carry, and where sign-in must land instead.
const OPEN_REDIRECTS: Array<{ next: string; lands: string }> = [
  { next: "//evil.example", lands: "/dashboard" },
  { next: "https://evil.example", lands: "/dashboard" },
  { next: "/\\evil.example", lands: "/dashboard" },
  { next: "/%2F%2Fevil.example", lands: "/%2F%2Fevil.example" },
  { next: "%2F%2Fevil.example", lands: "/dashboard" },
  { next: "/\t/evil.example", lands: "/dashboard" },
  { next: "javascript:alert(1)", lands: "/dashboard" },
  { next: "/.//evil.example", lands: "/dashboard" },
];

test.describe("open redirects after sign-in", () => {
  for (const { next, lands } of OPEN_REDIRECTS) {
    test(`next=${JSON.stringify(next)} from the link stays on this site`, async ({ page, user, baseURL }) => {
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      await signInThroughForm(page, user);
      await expect(page).toHaveURL(`${baseURL}${lands}`);
    });

    // The form's hidden field is the attacker's to edit: the action must check it again.
    test(`next=${JSON.stringify(next)} forged into the form stays on this site`, async ({ page, user, baseURL }) => {
      await page.goto("/login");
      await forgeHiddenField(page, page.locator('input[type="hidden"][name="next"]'), next);
      await signInThroughForm(page, user);
      await expect(page).toHaveURL(`${baseURL}${lands}`);
    });
  }
});
