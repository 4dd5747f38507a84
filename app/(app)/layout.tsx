import type { ReactNode } from "react";

export default function AppLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <nav aria-label="Main">
        <span>
          <a href="/dashboard">Dashboard</a> · <a href="/protected">Protected</a> ·{" "}
          <a href="/account">Account</a>
        </span>
        {/* A plain form post: signing out works without JavaScript. */}
        <form method="post" action="/sign-out">
          <button type="submit">Sign out</button>
        </form>
      </nav>
      {children}
    </>
  );
}
