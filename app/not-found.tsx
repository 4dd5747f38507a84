import type { Metadata } from "next";

export const metadata: Metadata = { title: "Page not found" };

// Replaces Next's default 404, which every page's payload carries a copy of.
export default function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <a href="/">Go to the start page</a>
      </p>
    </>
  );
}
