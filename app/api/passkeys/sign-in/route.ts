// Passkey sign-in, step 2: the authenticator's answer, checked (lib/auth/passkeys.ts);
// a right one starts a session as a password (and second factor) would.
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { ThrottledError } from "@/lib/auth/errors";
import { arePasskeysAvailable, authenticationResponseSchema } from "@/lib/auth/passkeys";
import { authenticateWithPasskey, startSession } from "@/lib/auth/sign-in";
import { readBody } from "@/lib/http/body";
import { getClient } from "@/lib/http/client-address";
import { crossSiteRefused, jsonResponse, tooManyRequests } from "@/lib/http/json";
import { isCrossSiteRequest } from "@/lib/http/origin";
import { catchUnavailable, serviceUnavailableJson } from "@/lib/http/service-unavailable";

/**
 * `{"response": <the browser's answer>, "remember": true?}`: 200 with the user
 * and the session cookie, 401 for a passkey this server does not accept, 400
 * for a body that is no answer at all, 429 while the network is throttled.
 */
export async function POST(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return crossSiteRefused();
  if (!arePasskeysAvailable()) return jsonResponse({ error: "Passkeys are not available on this server" }, 404);
  const body = await readBody(request);
  if (!body.ok) return jsonResponse({ error: body.error }, body.status);
  const { response, remember } = (body.value ?? {}) as { response?: unknown; remember?: unknown };
  const parsed = authenticationResponseSchema.safeParse(response);
  if (!parsed.success) return jsonResponse({ error: "Expected a passkey's answer in response." }, 400);

  return catchUnavailable("POST /api/passkeys/sign-in", async () => {
    const client = await getClient();
    let user;
    try {
      user = await authenticateWithPasskey(parsed.data as AuthenticationResponseJSON, client);
    } catch (error) {
      if (error instanceof ThrottledError) return tooManyRequests(error.message, error.retryAfterSeconds);
      throw error;
    }
    if (!user) return jsonResponse({ error: "Passkey not recognised" }, 401);
    await startSession(user, { persistent: remember === true, client });
    return jsonResponse({ user: { username: user.username } }, 200);
  }, serviceUnavailableJson);
}
