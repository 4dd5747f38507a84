import { RETRY_AFTER_SECONDS } from "@/lib/http/service-unavailable";
import { isReadyForSignIns } from "@/lib/server/health";

/** For load balancers and uptime checks: 200 while this node can sign people in, else 503. */
export async function GET(): Promise<Response> {
  const headers = { "Cache-Control": "no-store" };
  if (await isReadyForSignIns()) return Response.json({ status: "ok" }, { headers });
  return Response.json({ status: "unavailable" }, { status: 503, headers: { ...headers, "Retry-After": String(RETRY_AFTER_SECONDS) } });
}
