// Next.js 16.4 decodes a form posted to a server action before any code of
// this app runs, and answers a malformed one with 500: a body over its 1 MB
// limit (with or without Content-Length), a multipart body that does not
// parse, or action fields ($ACTION_…) missing or not JSON (found by
// e2e/fuzz.spec.ts); a multipart post that names no action at all gets a 400
// and a stack trace in the log. Middleware checks those posts here first and
// answers 413 or 400, as for any other bad input.
import { readBytesWithLimit } from "./body";

/** Far above any of this app's forms (a username and three passwords), far below Next's limit. */
export const MAX_FORM_BYTES = 64 * 1024;

export type FormPostProblem = { status: 400 | 413; message: string };

export async function checkFormPost(request: Request): Promise<FormPostProblem | null> {
  if (request.method !== "POST") return null;
  // A copy: the action still reads the body itself.
  const body = await readBytesWithLimit(request.clone(), MAX_FORM_BYTES);
  if (body === null) return { status: 413, message: "Form too large." };
  const type = request.headers.get("content-type") ?? "";
  // A post from a page without JavaScript. With JavaScript, React encodes the
  // action's arguments itself (with a Next-Action header); only the size applies.
  const isMultipart = type.startsWith("multipart/form-data");
  const isForm = isMultipart || type.startsWith("application/x-www-form-urlencoded");
  if (!isForm || request.headers.has("next-action")) return null;
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "Content-Type": type } }).formData();
  } catch {
    return MALFORMED;
  }
  const names = [...form.keys()];
  // Next.js takes every multipart post to a page for an action's: it must name one.
  if (isMultipart && !names.some((name) => name.startsWith("$ACTION_ID_") || name.startsWith("$ACTION_REF_"))) return MALFORMED;
  for (const name of names) {
    if (!name.startsWith("$ACTION_REF_")) continue;
    // A form with state (useActionState) carries the action's reference and its
    // previous state as JSON in $ACTION_<n>:0 and $ACTION_<n>:1.
    const prefix = `$ACTION_${name.slice("$ACTION_REF_".length)}`;
    if (![`${prefix}:0`, `${prefix}:1`].every((field) => isJson(form.get(field)))) return MALFORMED;
  }
  return null;
}

const MALFORMED: FormPostProblem = { status: 400, message: "Malformed form data." };

function isJson(value: FormDataEntryValue | null): boolean {
  if (typeof value !== "string") return false;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}
