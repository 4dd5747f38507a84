import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = {
  title: { default: "Keycard", template: "%s · Keycard" },
  description: "Sign in to Keycard.",
};

// The stylesheet is a plain file in public/, not an `import "./globals.css"`:
// Next.js renders an imported stylesheet through React's resource hoisting, with
// the nonce, in the HTML and again in the page payload, and that cost a signed-in
// page about a sixth of its throughput (docs/performance.md). The CSP allows it
// as 'self'.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        {/* eslint-disable-next-line @next/next/no-css-tags -- a plain file on purpose, see above */}
        <link rel="stylesheet" href="/keycard.css" />
      </head>
      <body>
        <main>{children}</main>
      </body>
    </html>
  );
}
