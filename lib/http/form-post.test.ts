import { describe, expect, it } from "vitest";

import { checkFormPost, MAX_FORM_BYTES } from "./form-post";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/login", { method: "POST", body, headers });

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
}

describe("checkFormPost", () => {
  it("lets through a well-formed no-JavaScript action post, and leaves its body readable", async () => {
    const request = post(form({ "$ACTION_REF_1": "", "$ACTION_1:0": '{"id":"abc","bound":"$@1"}', "$ACTION_1:1": "null", username: "a" }));
    expect(await checkFormPost(request)).toBeNull();
    expect((await request.formData()).get("username")).toBe("a");
  });

  it("lets through GETs, JSON and JavaScript-encoded action posts (Next-Action header) unparsed", async () => {
    expect(await checkFormPost(new Request("http://localhost/login"))).toBeNull();
    expect(await checkFormPost(post("{}", { "content-type": "application/json" }))).toBeNull();
    expect(await checkFormPost(post("garbage", { "content-type": "multipart/form-data; boundary=z", "next-action": "abc" }))).toBeNull();
  });

  it("refuses a body over the limit with 413, by its declared length", async () => {
    const big = "x".repeat(MAX_FORM_BYTES + 1);
    expect(await checkFormPost(post(big, { "content-type": "application/x-www-form-urlencoded", "content-length": String(big.length) }))).toEqual({
      status: 413,
      message: "Form too large.",
    });
  });

  // A chunked post declares no length: Next.js's own limit used to answer it with 500.
  it("refuses a body over the limit with 413 when it declares no length, whatever its type", async () => {
    const chunked = (body: string, headers: Record<string, string>) =>
      new Request("http://localhost/login", { method: "POST", body: new Blob([body]).stream(), headers, duplex: "half" } as RequestInit);
    const big = `username=${"x".repeat(MAX_FORM_BYTES)}`;
    expect(chunked(big, {}).headers.has("content-length")).toBe(false);
    for (const headers of [{ "content-type": "application/x-www-form-urlencoded" }, { "content-type": "text/plain;charset=UTF-8", "next-action": "abc" }, {}]) {
      expect(await checkFormPost(chunked(big, headers)), JSON.stringify(headers)).toEqual({ status: 413, message: "Form too large." });
    }
    expect(await checkFormPost(chunked("username=a", { "content-type": "application/x-www-form-urlencoded" }))).toBeNull();
  });

  it("refuses a multipart body that does not parse with 400", async () => {
    expect(await checkFormPost(post("garbage", { "content-type": "multipart/form-data; boundary=zzz" }))).toMatchObject({ status: 400 });
  });

  // Next.js took it for a server action's and logged "Invalid Server Actions request" with a stack trace.
  it("refuses a multipart post that names no server action with 400; a urlencoded one goes through", async () => {
    expect(await checkFormPost(post(form({ username: "a", password: "b" })))).toEqual({ status: 400, message: "Malformed form data." });
    expect(await checkFormPost(post(new URLSearchParams({ username: "a" })))).toBeNull();
    expect(await checkFormPost(post(form({ "$ACTION_ID_0123abcd": "", username: "a" })))).toBeNull();
  });

  it("refuses action fields that are missing or not JSON with 400", async () => {
    expect(await checkFormPost(post(form({ "$ACTION_REF_1": "", "$ACTION_1:0": "{}" })))).toMatchObject({ status: 400 });
    expect(await checkFormPost(post(form({ "$ACTION_REF_1": "", "$ACTION_1:0": "{}", "$ACTION_1:1": "{not json" })))).toMatchObject({ status: 400 });
  });
});
