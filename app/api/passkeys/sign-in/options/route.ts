// Passkey sign-in, step 1: a challenge for the browser's authenticator to sign.
import { beginPasskeySignIn, arePasskeysAvailable } from "@/lib/auth/passkeys";
import { crossSiteRefused, jsonResponse } from "@/lib/http/json";
import { isCrossSiteRequest } from "@/lib/http/origin";
import { catchUnavailable, serviceUnavailableJson } from "@/lib/http/service-unavailable";

/** 200 with the options for `navigator.credentials.get()`, 404 where passkeys are not configured, 503 while the database cannot be used. */
export async function POST(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return crossSiteRefused();
  if (!arePasskeysAvailable()) return jsonResponse({ error: "Passkeys are not available on this server" }, 404);
  return catchUnavailable("POST /api/passkeys/sign-in/options", async () => jsonResponse({ options: await beginPasskeySignIn() }, 200), serviceUnavailableJson);
}
