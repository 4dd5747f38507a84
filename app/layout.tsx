import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Stylesheet } from "./ui/stylesheet";

export const metadata: Metadata = {
  title: { default: "Keycard", template: "%s · Keycard" },
  description: "Sign in to Keycard.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <Stylesheet />
      </head>
      <body>
        <main>{children}</main>
      </body>
    </html>
  );
}
