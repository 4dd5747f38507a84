import type { Metadata } from "next";
import { requireUser } from "@/lib/dal";
import { AppNav } from "@/app/ui/app-nav";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const user = await requireUser("/dashboard");
  return (
    <>
      <AppNav />
      {/* One text node, so the greeting reads "Welcome name!" in the raw HTML too. */}
      <h1>{`Welcome ${user.username}!`}</h1>
      <p>You are signed in.</p>
      <p>
        <a href="/account">Manage your account</a>: password, sessions and recent activity.
      </p>
    </>
  );
}
