import Link from "next/link";
import type { ReactNode } from "react";
import { logoutAction } from "../(auth)/actions";

export default function AppLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <nav aria-label="Main">
        <span>
          <Link href="/dashboard">Dashboard</Link> · <Link href="/protected">Protected</Link> ·{" "}
          <Link href="/account">Account</Link>
        </span>
        {/* A plain form around a server action: signing out works without JavaScript. */}
        <form action={logoutAction}>
          <button type="submit">Sign out</button>
        </form>
      </nav>
      {children}
    </>
  );
}
