// Posting a server-action form as a browser without JavaScript does: React renders
// hidden inputs into the form ($ACTION_REF_1, $ACTION_1:0 naming the action,
// $ACTION_1:1 with its previous state, $ACTION_KEY), and the browser sends them
// with the visible fields as multipart/form-data to the page's own URL.
// Used by e2e/fuzz.spec.ts and bench/load.ts to post forms without a browser.

const ENTITIES: Record<string, string> = { "&quot;": '"', "&amp;": "&", "&lt;": "<", "&gt;": ">", "&#x27;": "'", "&#39;": "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(?:quot|amp|lt|gt|#x27|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** Every hidden input of the page's forms, in page order, as [name, value]. */
export function hiddenInputs(html: string): Array<[string, string]> {
  const inputs: Array<[string, string]> = [];
  for (const [, attributes = ""] of html.matchAll(/<input\b([^>]*)>/g)) {
    const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1];
    const name = attribute("name");
    if (attribute("type") === "hidden" && name !== undefined) inputs.push([decodeEntities(name), decodeEntities(attribute("value") ?? "")]);
  }
  return inputs;
}

/** The hidden inputs that make a post reach the server action; fails loudly when the page has none. */
export function serverActionInputs(html: string): Array<[string, string]> {
  const inputs = hiddenInputs(html).filter(([name]) => name.startsWith("$ACTION_"));
  if (inputs.length === 0) throw new Error("no-js-form: the page has no server-action form ($ACTION_ hidden inputs).");
  return inputs;
}

/** The body a no-JS browser sends: the action's hidden inputs first, then `fields`. */
export function noJsFormData(actionInputs: Array<[string, string]>, fields: Array<[string, string | Blob]>): FormData {
  const form = new FormData();
  for (const [name, value] of [...actionInputs, ...fields]) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, "upload.bin");
  }
  return form;
}
