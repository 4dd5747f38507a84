// Passkey sign-in, step 1: a challenge for the browser's authenticator to sign.
import { ThrottledError } from "@/lib/auth/errors";
import { arePasskeysAvailable } from "@/lib/auth/passkeys";
import { challengeForPasskeySignIn } from "@/lib/auth/sign-in";
import { getClient } from "@/lib/http/client-address";
import { crossSiteRefused, jsonResponse, tooManyRequests } from "@/lib/http/json";
import { isCrossSiteRequest } from "@/lib/http/origin";
import { catchUnavailable, serviceUnavailableJson } from "@/lib/http/service-unavailable";

/**
 * 200 with the options for `navigator.credentials.get()`, 404 where passkeys
 * are not configured, 429 while the network's sign-ins are throttled, 503
 * while the database cannot be used.
 */
export async function POST(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return crossSiteRefused();
  if (!arePasskeysAvailable()) return jsonResponse({ error: "Passkeys are not available on this server" }, 404);
  return catchUnavailable("POST /api/passkeys/sign-in/options", async () => {
    try {
      return jsonResponse({ options: await challengeForPasskeySignIn(await getClient()) }, 200);
    } catch (error) {
      if (error instanceof ThrottledError) return tooManyRequests(error.message, error.retryAfterSeconds);
      throw error;
    }
  }, serviceUnavailableJson);
}
