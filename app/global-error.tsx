"use client";
// The root layout itself failed: this replaces it, so it brings its own <html>
// and <body>. Status 500, as for app/error.tsx.
import { UnavailableNotice } from "./ui/unavailable-notice";
import "./globals.css";

export default function GlobalError() {
  return (
    <html lang="en">
      <body>
        <main>
          <UnavailableNotice />
        </main>
      </body>
    </html>
  );
}
