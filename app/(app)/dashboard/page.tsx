import type { Metadata } from "next";
import Link from "next/link";
import { requireUser } from "@/lib/dal";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const user = await requireUser("/dashboard");
  return (
    <>
      {/* One text node, so the greeting reads "Welcome name!" in the raw HTML too. */}
      <h1>{`Welcome ${user.username}!`}</h1>
      <p>You are signed in.</p>
      <p>
        <Link href="/account">Manage your account</Link>: password, sessions and recent activity.
      </p>
    </>
  );
}
