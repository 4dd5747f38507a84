import { db } from "@/lib/db";

/** For load balancers and uptime checks: is the database there, migrated and answering? */
export async function GET(): Promise<Response> {
  const headers = { "Cache-Control": "no-store" };
  try {
    await db.user.findFirst({ select: { id: true } });
    return Response.json({ status: "ok" }, { headers });
  } catch (error) {
    console.error("keycard: health check failed:", error instanceof Error ? error.message : error);
    return Response.json({ status: "unavailable" }, { status: 503, headers });
  }
}
