export const DEFAULT_AFTER_LOGIN = "/dashboard";
const MAX_NEXT_LENGTH = 2048;
// A placeholder origin: only used to see whether a path would leave this site.
const BASE = "http://keycard.invalid";

/**
 * Where to send someone after sign-in: the requested path if it stays on this
 * site, else the dashboard. Anything a browser could read as another origin
 * (`//evil`, `/\evil`, `https://…`, tabs or newlines that browsers strip) is refused.
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > MAX_NEXT_LENGTH) return DEFAULT_AFTER_LOGIN;
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return DEFAULT_AFTER_LOGIN;
  if (/[\u0000-\u001f\u007f]/.test(raw)) return DEFAULT_AFTER_LOGIN;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return DEFAULT_AFTER_LOGIN;
  }
  if (url.origin !== BASE) return DEFAULT_AFTER_LOGIN;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Dot segments can collapse into `//host` ("/.//evil" → "//evil").
  if (path.startsWith("//")) return DEFAULT_AFTER_LOGIN;
  return path;
}
