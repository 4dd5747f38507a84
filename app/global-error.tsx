"use client";
// Any error that escapes a page, layout or action, such as a database failure
// the page could not answer itself. It replaces the root layout, so it brings
// its own <html> and <body>. Next.js gives an error boundary no way to set the
// status, so these pages go out as 500: the database outages it can see coming
// are answered 503 before they get here (middleware for signed-in pages, the
// forms and the JSON API themselves, lib/http/service-unavailable.ts).
// The only error boundary: an app/error.tsx as well put a boundary into every
// page's payload, which made signed-in pages measurably dearer
// (docs/performance.md), for a notice that reads the same.
import { Stylesheet } from "./ui/stylesheet";
import { UnavailableNotice } from "./ui/unavailable-notice";

export default function GlobalError() {
  return (
    <html lang="en">
      <head>
        <Stylesheet />
      </head>
      <body>
        <main>
          <UnavailableNotice />
        </main>
      </body>
    </html>
  );
}
