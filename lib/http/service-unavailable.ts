// What clients are told while the database cannot be used (lib/db/errors.ts
// says when that is): 503 and a short sentence, never a 500 or SQLite's own
// words. Pure functions and Web Responses only: middleware uses this too.
import { isDatabaseUnavailable, logDatabaseUnavailable } from "../db/errors";

/** What a person or client is told; nothing more is ever shown. */
export const UNAVAILABLE_MESSAGE = "Service unavailable, try again shortly";

/** The same, as a form shows it. */
export const UNAVAILABLE_FORM_MESSAGE = `${UNAVAILABLE_MESSAGE}.`;

/** Seconds a client should wait before trying again (Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Runs `work`; when it fails because the database cannot be used, logs that
 * (logDatabaseUnavailable) and returns `fallback()` instead. Every other error,
 * a bug or next/navigation's redirect(), goes on up untouched.
 */
export async function catchUnavailable<T>(where: string, work: () => Promise<T>, fallback: () => T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    logDatabaseUnavailable(error, where);
    return fallback();
  }
}

const UNAVAILABLE_HEADERS = {
  "Retry-After": String(RETRY_AFTER_SECONDS),
  "Cache-Control": "no-store",
};

// Self-contained: no script, no style, nothing loaded, so it passes the strict
// Content-Security-Policy and works while everything else is failing.
const UNAVAILABLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service unavailable · Keycard</title>
</head>
<body>
<h1>Service unavailable</h1>
<p>${UNAVAILABLE_MESSAGE}.</p>
<p><a href="">Reload</a></p>
</body>
</html>
`;

/** A page: 503, Retry-After, no-store. */
export function serviceUnavailablePage(): Response {
  return new Response(UNAVAILABLE_PAGE, {
    status: 503,
    headers: { ...UNAVAILABLE_HEADERS, "Content-Type": "text/html; charset=utf-8" },
  });
}

/** For the JSON API: 503 {"error": "Service unavailable, try again shortly"}. */
export function serviceUnavailableJson(): Response {
  return Response.json({ error: UNAVAILABLE_MESSAGE }, { status: 503, headers: UNAVAILABLE_HEADERS });
}
