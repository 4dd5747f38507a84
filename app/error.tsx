"use client";
// Any error that escapes a page, layout or action below the root layout, such as
// a database failure the page could not answer itself. Next.js gives an error
// boundary no way to set the status, so these pages go out as 500: the database
// outages it can see coming are answered 503 before they get here (middleware for
// signed-in pages, the forms and the JSON API themselves, lib/unavailable.ts).
import { UnavailableNotice } from "./ui/unavailable-notice";

export default function ErrorPage() {
  return <UnavailableNotice />;
}
