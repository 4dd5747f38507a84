import { UNAVAILABLE_FORM_MESSAGE } from "@/lib/http/service-unavailable";

/**
 * What an error boundary shows. In production Next.js replaces a server error's
 * message with a digest, so a boundary cannot tell a database outage from a bug;
 * both read as a short "try again" (details are in the server log). The link
 * reloads the page from the server, which reset() alone would not.
 */
export function UnavailableNotice() {
  return (
    <>
      <title>Service unavailable · Keycard</title>
      <h1>Service unavailable</h1>
      <p>{UNAVAILABLE_FORM_MESSAGE}</p>
      <p>
        <a href="">Reload</a>
      </p>
    </>
  );
}
