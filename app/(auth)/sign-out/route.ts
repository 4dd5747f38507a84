import { signOutThisBrowser } from "@/lib/auth/sign-out";
import { isCrossSiteRequest } from "@/lib/http/origin";
import { getClient } from "@/lib/http/client-address";
import { CLEAR_SITE_DATA_ON_SIGN_OUT } from "@/lib/http/security-headers";

/**
 * The Sign out button's target: a plain form post, so it works without
 * JavaScript. A route rather than a server action because a server action in
 * the shared layout made every signed-in page measurably dearer to render
 * (docs/performance.md).
 */
export async function POST(request: Request): Promise<Response> {
  // middleware.ts refuses cross-site posts already; this holds if it is skipped.
  if (isCrossSiteRequest(request)) return new Response("Cross-site request refused.", { status: 403 });
  const landing = await signOutThisBrowser(await getClient());
  return new Response(null, {
    status: 303,
    headers: { Location: landing, "Cache-Control": "no-store", "Clear-Site-Data": CLEAR_SITE_DATA_ON_SIGN_OUT },
  });
}
