// Passkeys end to end, with Chromium's virtual authenticator (CDP WebAuthn
// domain) standing in for a phone or a security key: add one on /account, sign
// in with it alone, see it used, remove it; and a passkey's answer made on
// another origin (a look-alike site relaying our challenge) is refused.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CDPSession, Page } from "@playwright/test";
import { browserSeal, expect, sessionIdOf, setSessionTimes, signInThroughForm, test, type TestUser } from "./fixtures";

/** A platform authenticator that holds discoverable credentials and verifies the user (fingerprint, PIN) at once. */
async function addVirtualAuthenticator(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return cdp;
}

async function signIn(page: Page, user: TestUser): Promise<void> {
  await page.goto("/login");
  await signInThroughForm(page, user);
  await expect(page).toHaveURL("/dashboard");
}

async function addPasskey(page: Page, name: string): Promise<void> {
  await page.goto("/account");
  await page.getByLabel("Passkey name").fill(name);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByTestId("passkey").filter({ hasText: name })).toBeVisible();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/login/);
}

test.describe("passkeys", () => {
  test("add one, sign in with it alone, see it used, remove it: then it signs in no more", async ({ page, user }) => {
    await addVirtualAuthenticator(page);
    await signIn(page, user);
    await addPasskey(page, "Test laptop");
    await expect(page.getByTestId("passkey")).toContainText("never used");
    await page.goto("/dashboard");
    await signOut(page);

    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page).toHaveURL("/dashboard");
    await expect(page.getByRole("heading", { name: `Welcome ${user.username}!` })).toBeVisible();

    await page.goto("/account");
    await expect(page.getByTestId("passkey")).toContainText("last used");
    await expect(page.getByTestId("activity")).toContainText("Signed in with a passkey");
    await expect(page.getByTestId("activity")).toContainText("Passkey added");
    await page.getByRole("button", { name: "Remove Test laptop" }).click();
    await expect(page.getByTestId("passkey")).toHaveCount(0);
    await expect(page.getByTestId("activity")).toContainText("Passkey removed");

    await page.goto("/dashboard");
    await signOut(page);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByTestId("passkey-error")).toHaveText("That passkey is not one of this site's accounts.");
    await expect(page).toHaveURL(/\/login/);
  });

  test("adding one needs a sign-in within the last 10 minutes, and a passkey can be that sign-in", async ({ page, context, user }) => {
    await addVirtualAuthenticator(page);
    await signIn(page, user);
    setSessionTimes(await sessionIdOf(await browserSeal(context)), { authenticatedAt: new Date(Date.now() - 11 * 60_000) });
    await page.goto("/account");
    await page.getByLabel("Passkey name").fill("Too late");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await expect(page).toHaveURL("/account/confirm?next=%2Faccount");
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page).toHaveURL("/account");
    await addPasskey(page, "In time");

    // With a passkey, "Confirm it's you" takes it instead of the password.
    setSessionTimes(await sessionIdOf(await browserSeal(context)), { authenticatedAt: new Date(Date.now() - 11 * 60_000) });
    await page.goto("/account/two-factor");
    await expect(page).toHaveURL("/account/confirm?next=%2Faccount%2Ftwo-factor");
    await page.getByRole("button", { name: "Confirm with a passkey" }).click();
    await expect(page).toHaveURL("/account/two-factor");
    await expect(page.getByRole("button", { name: "Set up two-factor authentication" })).toBeVisible();
  });

  test("an answer made on another origin, relaying our challenge, is refused", async ({ page, user, request }) => {
    await addVirtualAuthenticator(page);
    await signIn(page, user);
    await addPasskey(page, "Phished");

    // A look-alike site on another port: the same RP ID (localhost), so the
    // browser lets it use the passkey, but its origin is not ours.
    const lookAlike: Server = createServer((_request, response) => response.end("<!doctype html><title>Sign in</title>"));
    await new Promise<void>((resolve) => lookAlike.listen(0, "127.0.0.1", resolve));
    try {
      const { options } = (await (await request.post("/api/passkeys/sign-in/options", { data: {} })).json()) as { options: { challenge: string } };
      await page.goto(`http://localhost:${(lookAlike.address() as AddressInfo).port}/`);
      const answer = await page.evaluate(async (challenge) => {
        const toBytes = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
        const toText = (buffer: ArrayBuffer | null) =>
          buffer ? btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : undefined;
        const credential = (await navigator.credentials.get({ publicKey: { challenge: toBytes(challenge), rpId: "localhost", userVerification: "required" } })) as PublicKeyCredential;
        const response = credential.response as AuthenticatorAssertionResponse;
        return {
          id: credential.id,
          rawId: toText(credential.rawId),
          type: credential.type,
          clientExtensionResults: {},
          response: {
            clientDataJSON: toText(response.clientDataJSON),
            authenticatorData: toText(response.authenticatorData),
            signature: toText(response.signature),
            userHandle: toText(response.userHandle),
          },
        };
      }, options.challenge);
      const relayed = await request.post("/api/passkeys/sign-in", { data: { response: answer } });
      expect(relayed.status()).toBe(401);
      expect(await relayed.json()).toEqual({ error: "Passkey not recognised" });
      expect(relayed.headers()["set-cookie"] ?? "").not.toContain("keycard_session");
    } finally {
      await new Promise((resolve) => lookAlike.close(resolve));
    }
  });

  test("the sign-in page loads the WebAuthn browser code only when the passkey button is used", async ({ page }) => {
    // A string of @simplewebauthn/browser's own, which minification keeps.
    const marker = "ERROR_CEREMONY_ABORTED";
    const scripts: Array<Promise<string>> = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.push(response.text());
    });
    await page.goto("/login");
    await page.waitForLoadState("networkidle");
    const firstLoad = await Promise.all(scripts);
    expect(firstLoad.length).toBeGreaterThan(0);
    expect(firstLoad.filter((text) => text.includes(marker))).toHaveLength(0);

    await addVirtualAuthenticator(page);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    // No passkey on this authenticator: the browser's prompt fails, after the code has loaded.
    await expect(page.getByTestId("passkey-error")).toBeVisible();
    expect((await Promise.all(scripts)).filter((text) => text.includes(marker))).toHaveLength(1);
  });

  test("answers that are no passkey's get a 400", async ({ request }) => {
    const garbage = await request.post("/api/passkeys/sign-in", { data: { response: { id: "x" } } });
    expect(garbage.status()).toBe(400);
    expect(await garbage.json()).toEqual({ error: "Expected a passkey's answer in response." });
    const notJson = await request.post("/api/passkeys/sign-in", { data: "{", headers: { "Content-Type": "application/json" } });
    expect(notJson.status()).toBe(400);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("the sign-in page says passkeys need JavaScript, and offers no dead button", async ({ page }) => {
      await page.goto("/login");
      await expect(page.getByText("Sign in with a passkey needs JavaScript.")).toBeVisible();
      await expect(page.getByRole("button", { name: "Sign in with a passkey" })).toBeDisabled();
    });
  });
});
