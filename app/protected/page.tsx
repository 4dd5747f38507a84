import type { Metadata } from "next";
import { requireUser } from "@/lib/dal";
import { AppNav } from "@/app/ui/app-nav";

export const metadata: Metadata = { title: "Protected" };

export default async function ProtectedPage() {
  const user = await requireUser("/protected");
  return (
    <>
      <AppNav />
      <h1>Protected</h1>
      <p>This is a protected area.</p>
      <p>Only signed-in users like {user.username} can see it.</p>
    </>
  );
}
