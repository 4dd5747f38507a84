import type { Metadata } from "next";

export const metadata: Metadata = { title: "Page not found" };

// Replaces Next's default 404, which every page's payload carries a copy of.
// A plain link, not next/link: that copy would otherwise pull next/link's chunk
// into every page's first-load JavaScript.
export default function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- on purpose, see above */}
        <a href="/">Go to the start page</a>
      </p>
    </>
  );
}
