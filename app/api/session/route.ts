// JSON API for non-browser clients, over the same lib functions as the sign-in form.
import { authenticate } from "@/lib/authenticate";
import { getCurrentUser } from "@/lib/dal";
import { isCrossSiteRequest, readBody } from "@/lib/request";
import { endSession, startSession } from "@/lib/session";
import { credentialsSchema, firstIssue } from "@/lib/validation";

const NO_STORE = { "Cache-Control": "no-store" };

function json(body: unknown, status: number): Response {
  return Response.json(body, { status, headers: NO_STORE });
}

const forbidden = () => json({ error: "Cross-site request refused" }, 403);

/** Sign in: 200 with the user and the session cookie, or 4xx with a short reason. */
export async function POST(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return forbidden();
  const body = await readBody(request);
  if (!body.ok) return json({ error: body.error }, body.status);
  const parsed = credentialsSchema.safeParse(body.value);
  if (!parsed.success) return json({ error: firstIssue(parsed.error) }, 400);

  const user = await authenticate(parsed.data);
  if (!user) return json({ error: "Invalid credentials" }, 401);
  await startSession(user);
  return json({ user: { username: user.username } }, 200);
}

/** Who am I: 200 with the user, or 401. */
export async function GET(): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return json({ error: "Not signed in" }, 401);
  return json({ user: { username: user.username } }, 200);
}

/** Sign out: 204 and the cookie cleared, signed in or not. */
export async function DELETE(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request)) return forbidden();
  await endSession();
  return new Response(null, { status: 204, headers: NO_STORE });
}
