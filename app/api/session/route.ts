// JSON API for non-browser clients, over the same lib functions as the sign-in form.
// A database that cannot be used answers 503 JSON with Retry-After (lib/http/service-unavailable.ts).
import { authenticate, checkSecondFactor, startSession } from "@/lib/auth/sign-in";
import { endSession } from "@/lib/auth/sign-out";
import { getCurrentUser } from "@/lib/dal";
import { readDeviceCookie } from "@/lib/auth/device-cookie";
import { isCrossSiteRequest } from "@/lib/http/origin";
import { readBody } from "@/lib/http/body";
import { crossSiteRefused, jsonResponse, tooManyRequests } from "@/lib/http/json";
import { getClient } from "@/lib/http/client-address";
import { CLEAR_SITE_DATA_ON_SIGN_OUT } from "@/lib/http/security-headers";
import { HashingBusyError, secondFactorRefusal, ThrottledError } from "@/lib/auth/errors";
import { catchUnavailable, serviceUnavailableJson } from "@/lib/http/service-unavailable";
import { credentialsSchema, firstIssue } from "@/lib/auth/validation";


/**
 * Sign in: 200 with the user and the session cookie, 429 with Retry-After while
 * throttled, 503 while the database cannot be used, or 4xx with a short reason.
 * `"remember": true` asks for a long-lived session, as "Keep me signed in" does.
 * An account with two-factor authentication on also needs `"code"` (from the
 * authenticator app, or a recovery code): without it 401 "Second factor
 * required", wrong 401 "Invalid code"; codes are throttled like passwords.
 */
export async function POST(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return crossSiteRefused();
  const body = await readBody(request);
  if (!body.ok) return jsonResponse({ error: body.error }, body.status);
  const parsed = credentialsSchema.safeParse(body.value);
  if (!parsed.success) return jsonResponse({ error: firstIssue(parsed.error) }, 400);
  const remember = (body.value as { remember?: unknown }).remember;

  return catchUnavailable("POST /api/session", async () => {
    const client = await getClient();
    const deviceCookie = await readDeviceCookie();
    let user;
    try {
      user = await authenticate(parsed.data, client, { deviceCookie });
    } catch (error) {
      if (error instanceof ThrottledError) return tooManyRequests(error.message, error.retryAfterSeconds);
      // Every password worker busy and the queue full: the server, not this client, is over its limit.
      if (error instanceof HashingBusyError) return jsonResponse({ error: error.message }, 503, { "Retry-After": "1" });
      throw error;
    }
    if (!user) return jsonResponse({ error: "Invalid credentials" }, 401);
    if (user.secondFactor) {
      const { code } = parsed.data;
      if (!code?.trim()) return jsonResponse({ error: "Second factor required" }, 401);
      try {
        if (!(await checkSecondFactor(user, code, client, { deviceCookie }))) return jsonResponse({ error: "Invalid code" }, 401);
      } catch (error) {
        if (error instanceof ThrottledError) return tooManyRequests(error.message, error.retryAfterSeconds);
        if (secondFactorRefusal(error)) return jsonResponse({ error: "Two-factor authentication unavailable" }, 503, { "Retry-After": "60" });
        throw error;
      }
    }
    await startSession(user, { persistent: remember === true || remember === "true", client });
    return jsonResponse({ user: { username: user.username } }, 200);
  }, serviceUnavailableJson);
}

/** Who am I: 200 with the user, 401, or 503 while the database cannot be used. */
export async function GET(): Promise<Response> {
  return catchUnavailable("GET /api/session", async () => {
    const user = await getCurrentUser();
    if (!user) return jsonResponse({ error: "Not signed in" }, 401);
    return jsonResponse({ user: { username: user.username } }, 200);
  }, serviceUnavailableJson);
}

/**
 * Sign out: 204, the session revoked, the cookie cleared and this origin's
 * storage too (Clear-Site-Data), signed in or not.
 * While the database cannot be used: 503 and the cookie kept, unlike the sign-out
 * button (app/(auth)/actions.ts): a client can retry, and a retry without the
 * cookie would report success for a session that was never revoked.
 */
export async function DELETE(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return crossSiteRefused();
  return catchUnavailable("DELETE /api/session", async () => {
    await endSession(await getClient());
    return new Response(null, { status: 204, headers: { "Cache-Control": "no-store", "Clear-Site-Data": CLEAR_SITE_DATA_ON_SIGN_OUT } });
  }, serviceUnavailableJson);
}
