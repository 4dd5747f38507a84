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

  it("refuses a multipart body that does not parse with 400", async () => {
    expect(await checkFormPost(post("garbage", { "content-type": "multipart/form-data; boundary=zzz" }))).toMatchObject({ status: 400 });
  });

  it("refuses action fields that are missing or not JSON with 400", async () => {
    expect(await checkFormPost(post(form({ "$ACTION_REF_1": "", "$ACTION_1:0": "{}" })))).toMatchObject({ status: 400 });
    expect(await checkFormPost(post(form({ "$ACTION_REF_1": "", "$ACTION_1:0": "{}", "$ACTION_1:1": "{not json" })))).toMatchObject({ status: 400 });
  });
});
