import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, createOrg, type Harness, json, skipReason } from "../../../test/helpers/harness.ts";

type ErrorBody = {
  error: { code: string; message: string; request_id: string; details?: unknown };
};
interface Version {
  id: string;
  prompt_id: string;
  version: number;
  messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }>;
  model: string;
  params: Record<string, unknown>;
  variables: string[];
  commit_message: string;
  author_user_id: string | null;
  author_api_key_id: string | null;
  created_at: string;
}
interface Prompt {
  id: string;
  name: string;
  description: string;
  tags: string[];
  latest_version: number;
  labels: Record<string, number>;
  created_by_user_id: string | null;
  created_at: string;
  updated_at: string;
}
type PromptWithVersion = Prompt & { version: Version | null };
interface Execution {
  id: string;
  output: string;
  prompt_id: string | null;
  prompt_version_id: string | null;
}

const uniq = () => randomBytes(4).toString("hex");
const version = (text: string, model = "mock/echo") => ({
  model,
  messages: [{ role: "user", content: text }],
});

describe.skipIf(skipReason)("prompts, versions and labels", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  async function createPrompt(headers: Record<string, string>, body: Record<string, unknown>) {
    const res = await h.inject({ method: "POST", url: "/api/v1/prompts", headers, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return json<PromptWithVersion>(res);
  }

  async function addVersion(headers: Record<string, string>, promptId: string, text: string) {
    const res = await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${promptId}/versions`,
      headers,
      payload: version(text),
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<Version>(res);
  }

  const execute = (headers: Record<string, string>, promptId: string, body: Record<string, unknown>) =>
    h.inject({ method: "POST", url: `/api/v1/prompts/${promptId}/execute`, headers, payload: body });

  const setLabel = (headers: Record<string, string>, promptId: string, label: string, v: number) =>
    h.inject({
      method: "PUT",
      url: `/api/v1/prompts/${promptId}/labels/${label}`,
      headers,
      payload: { version: v },
    });

  it("creates a prompt with its first version", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.owner.session, {
      name: "support-reply",
      description: "Answers tickets",
      tags: ["support", "email", "support"],
      version: {
        ...version("Reply to {{customer}} about {{ topic }}"),
        params: { temperature: 0.2, max_tokens: 100 },
        commit_message: "first cut",
      },
    });
    expect(p).toMatchObject({
      name: "support-reply",
      description: "Answers tickets",
      latest_version: 1,
      labels: {},
      created_by_user_id: org.owner.userId,
    });
    expect([...p.tags].sort()).toEqual(["email", "support"]);
    expect(p.version).toMatchObject({
      prompt_id: p.id,
      version: 1,
      model: "mock/echo",
      params: { temperature: 0.2, max_tokens: 100 },
      commit_message: "first cut",
      author_user_id: org.owner.userId,
      author_api_key_id: null,
    });
    expect([...(p.version?.variables ?? [])].sort()).toEqual(["customer", "topic"]);
    expect(p.version?.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Reply to {{customer}} about {{ topic }}" }] },
    ]);
  });

  it("creates a prompt with no version (latest_version 0, version null); executing it is 400", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `bare-${uniq()}` });
    expect(p.latest_version).toBe(0);
    expect(p.version).toBeNull();
    const res = await execute(org.key, p.id, {});
    expect(res.statusCode).toBe(400);
  });

  it("a version written through an API key records the key as author", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `by-key-${uniq()}`, version: version("x") });
    expect(p.version?.author_user_id).toBeNull();
    expect(p.version?.author_api_key_id).toEqual(expect.stringMatching(/^key_/));
  });

  it("lists prompts with search and tag filters, scoped to the org", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    await createPrompt(org.key, { name: "Invoice summary", tags: ["finance"] });
    await createPrompt(org.key, {
      name: "Refund policy",
      description: "explains the invoice rules",
      tags: ["support"],
    });
    await createPrompt(org.key, { name: "Welcome mail", tags: ["support", "email"] });
    await createPrompt(org.key, { name: "100%_literal", tags: [] });
    await createPrompt(other.key, { name: "Invoice other org", tags: ["finance"] });

    const names = async (qs: string) => {
      const res = await h.inject({ method: "GET", url: `/api/v1/prompts${qs}`, headers: org.key });
      expect(res.statusCode, res.body).toBe(200);
      return json<{ data: Prompt[] }>(res)
        .data.map((p) => p.name)
        .sort();
    };
    expect(await names("")).toEqual(["100%_literal", "Invoice summary", "Refund policy", "Welcome mail"]);
    // case-insensitive, name or description
    expect(await names("?search=INVOICE")).toEqual(["Invoice summary", "Refund policy"]);
    expect(await names("?tag=support")).toEqual(["Refund policy", "Welcome mail"]);
    expect(await names("?tag=support&search=welcome")).toEqual(["Welcome mail"]);
    expect(await names("?tag=nothing")).toEqual([]);
    // LIKE wildcards in the search are literal
    expect(await names(`?search=${encodeURIComponent("%")}`)).toEqual(["100%_literal"]);
    expect(await names(`?search=${encodeURIComponent("_")}`)).toEqual(["100%_literal"]);
  });

  it("paginates the list with a cursor, newest first, without gaps or repeats", async () => {
    const org = await createOrg(h);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createPrompt(org.key, { name: `page-${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = cursor ? `&cursor=${cursor}` : "";
      const res = await h.inject({ method: "GET", url: `/api/v1/prompts?limit=2${qs}`, headers: org.key });
      expect(res.statusCode, res.body).toBe(200);
      const page = json<{ data: Prompt[]; next_cursor: string | null }>(res);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p) => p.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual([...created].sort());
    // newest first: the last-created prompt leads the first page
    expect(seen[0]).toBe(created[4]);
    const bad = await h.inject({ method: "GET", url: "/api/v1/prompts?cursor=garbage", headers: org.key });
    expect(bad.statusCode).toBe(400);
  });

  it("gets a prompt with its latest version, and one version by number", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `get-${uniq()}`, version: version("one") });
    await addVersion(org.key, p.id, "two");
    const res = await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key });
    expect(res.statusCode).toBe(200);
    const got = json<PromptWithVersion>(res);
    expect(got.latest_version).toBe(2);
    expect(got.version?.version).toBe(2);
    expect(got.version?.messages[0]?.content[0]?.text).toBe("two");
    const v1 = await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}/versions/1`, headers: org.key });
    expect(v1.statusCode).toBe(200);
    expect(json<Version>(v1).messages[0]?.content[0]?.text).toBe("one");
    const v9 = await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}/versions/9`, headers: org.key });
    expect(v9.statusCode).toBe(404);
    const history = json<{ data: Version[] }>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}/versions`, headers: org.key }),
    ).data;
    expect(history.map((v) => v.version)).toEqual([2, 1]);
    // another org gets 404, not the prompt
    const other = await createOrg(h);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: other.key })).statusCode,
    ).toBe(404);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}/versions/1`, headers: other.key }))
        .statusCode,
    ).toBe(404);
  });

  it("patches name, description and tags without touching versions", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `patch-${uniq()}`, tags: ["a"], version: version("v1") });
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/prompts/${p.id}`,
      headers: org.key,
      payload: { name: "patched", description: "now described", tags: ["b", "c"] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<Prompt>(res)).toMatchObject({
      name: "patched",
      description: "now described",
      tags: ["b", "c"],
      latest_version: 1,
    });
    const got = json<PromptWithVersion>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(got.name).toBe("patched");
    expect(got.version?.id).toBe(p.version?.id);
  });

  it("renaming to a name another prompt has is 409", async () => {
    const org = await createOrg(h);
    await createPrompt(org.key, { name: "taken" });
    const p = await createPrompt(org.key, { name: "free" });
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/prompts/${p.id}`,
      headers: org.key,
      payload: { name: "taken" },
    });
    expect(res.statusCode).toBe(409);
  });

  it("each new version increments the number", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `inc-${uniq()}`, version: version("v1") });
    const v2 = await addVersion(org.key, p.id, "v2 {{x}}");
    expect(v2.version).toBe(2);
    expect(v2.variables).toEqual(["x"]);
    const v3 = await addVersion(org.key, p.id, "v3");
    expect(v3.version).toBe(3);
    const got = json<Prompt>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(got.latest_version).toBe(3);
  });

  it("two concurrent new versions get 2 and 3, never a duplicate", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `race-${uniq()}`, version: version("v1") });
    const results = await Promise.all(
      ["a", "b"].map((t) =>
        h.inject({
          method: "POST",
          url: `/api/v1/prompts/${p.id}/versions`,
          headers: org.key,
          payload: version(t),
        }),
      ),
    );
    for (const r of results) expect(r.statusCode, r.body).toBe(201);
    expect(results.map((r) => json<Version>(r).version).sort()).toEqual([2, 3]);
    const rows = await h.deps.db
      .selectFrom("prompt_versions")
      .select("version")
      .where("prompt_id", "=", p.id)
      .orderBy("version")
      .execute();
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
    const got = json<Prompt>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(got.latest_version).toBe(3);
  });

  it("versions are immutable: a direct SQL UPDATE of their content is refused by the database", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `immut-${uniq()}`, version: version("original") });
    const id = p.version?.id ?? "";
    await expect(
      h.deps.db
        .updateTable("prompt_versions")
        .set({ messages: JSON.stringify([{ role: "user", content: [{ type: "text", text: "tampered" }] }]) })
        .where("id", "=", id)
        .execute(),
    ).rejects.toThrow(/immutable/);
    await expect(
      h.deps.db.updateTable("prompt_versions").set({ model: "openai/gpt-4o" }).where("id", "=", id).execute(),
    ).rejects.toThrow(/immutable/);
    const v = json<Version>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}/versions/1`, headers: org.key }),
    );
    expect(v.messages[0]?.content[0]?.text).toBe("original");
    expect(v.model).toBe("mock/echo");
  });

  it("labels: execute by label uses the labelled version; moving the label moves execution", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `label-${uniq()}`, version: version("first {{n}}") });
    const v2 = await addVersion(org.key, p.id, "second {{n}}");

    const put = await setLabel(org.key, p.id, "production", 1);
    expect(put.statusCode, put.body).toBe(200);
    expect(json(put)).toEqual({ prompt_id: p.id, label: "production", version: 1 });
    const got = json<Prompt>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(got.labels).toEqual({ production: 1 });

    const e1 = await execute(org.key, p.id, { label: "production", variables: { n: 7 } });
    expect(e1.statusCode, e1.body).toBe(200);
    expect(json<Execution>(e1)).toMatchObject({ prompt_id: p.id, prompt_version_id: p.version?.id });
    expect(json<Execution>(e1).output).toContain("first 7");
    // without a label the latest version runs
    const latest = await execute(org.key, p.id, { variables: { n: 7 } });
    expect(json<Execution>(latest).output).toContain("second 7");

    const move = await setLabel(org.key, p.id, "production", 2);
    expect(move.statusCode).toBe(200);
    const e2 = await execute(org.key, p.id, { label: "production", variables: { n: 8 } });
    expect(e2.statusCode, e2.body).toBe(200);
    expect(json<Execution>(e2)).toMatchObject({ prompt_version_id: v2.id });
    expect(json<Execution>(e2).output).toContain("second 8");
    const after = json<Prompt>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(after.labels).toEqual({ production: 2 });
  });

  it("a label on a version that doesn't exist is 404; an invalid label name is 400", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `lbl404-${uniq()}`, version: version("x") });
    expect((await setLabel(org.key, p.id, "staging", 5)).statusCode).toBe(404);
    expect((await setLabel(org.key, p.id, "Has-Caps", 1)).statusCode).toBe(400);
  });

  it("DELETE label (204), then executing with it is 404", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `unlabel-${uniq()}`, version: version("hello") });
    expect((await setLabel(org.key, p.id, "staging", 1)).statusCode).toBe(200);
    expect((await execute(org.key, p.id, { label: "staging" })).statusCode).toBe(200);
    const del = await h.inject({
      method: "DELETE",
      url: `/api/v1/prompts/${p.id}/labels/staging`,
      headers: org.key,
    });
    expect(del.statusCode, del.body).toBe(204);
    const res = await execute(org.key, p.id, { label: "staging" });
    expect(res.statusCode).toBe(404);
    expect(json<ErrorBody>(res).error.code).toBe("not_found");
    const again = await h.inject({
      method: "DELETE",
      url: `/api/v1/prompts/${p.id}/labels/staging`,
      headers: org.key,
    });
    expect(again.statusCode).toBe(404);
    // the version itself is untouched
    expect((await execute(org.key, p.id, { version: 1 })).statusCode).toBe(200);
  });

  it("execute with both version and label is 400, and records nothing", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `both-${uniq()}`, version: version("hello") });
    await setLabel(org.key, p.id, "production", 1);
    const res = await execute(org.key, p.id, { version: 1, label: "production" });
    expect(res.statusCode).toBe(400);
    const rows = await h.deps.db
      .selectFrom("executions")
      .select("id")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("an unknown model in a version is 400, at create and at new version", async () => {
    const org = await createOrg(h);
    const name = `badmodel-${uniq()}`;
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: org.key,
      payload: { name, version: version("x", "nope/not-a-model") },
    });
    expect(res.statusCode).toBe(400);
    expect(json<ErrorBody>(res).error.message).toContain("nope/not-a-model");
    // nothing half-created
    const list = json<{ data: Prompt[] }>(
      await h.inject({ method: "GET", url: "/api/v1/prompts", headers: org.key }),
    );
    expect(list.data.map((p) => p.name)).not.toContain(name);

    const p = await createPrompt(org.key, { name: `okmodel-${uniq()}`, version: version("x") });
    const v = await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/versions`,
      headers: org.key,
      payload: version("y", "openai/gpt-does-not-exist"),
    });
    expect(v.statusCode).toBe(400);
    const got = json<Prompt>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(got.latest_version).toBe(1);
  });

  it("another org's own model is an unknown model here", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    const cred = await h.inject({
      method: "POST",
      url: "/api/v1/providers",
      headers: a.owner.session,
      payload: { provider: "openai-compatible", api_key: "k", base_url: "http://127.0.0.1:9/v1" },
    });
    const model = await h.inject({
      method: "POST",
      url: "/api/v1/models",
      headers: a.owner.session,
      payload: {
        slug: "privately/served",
        upstream_model: "m",
        credential_id: json<{ id: string }>(cred).id,
        context_window: 1,
        max_output_tokens: 1,
      },
    });
    expect(model.statusCode, model.body).toBe(201);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: b.key,
      payload: { name: "x", version: version("x", "privately/served") },
    });
    expect(res.statusCode).toBe(400);
  });

  it("a duplicate prompt name in one org is 409; another org may use it", async () => {
    const org = await createOrg(h);
    await createPrompt(org.key, { name: "dup" });
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: org.key,
      payload: { name: "dup" },
    });
    expect(res.statusCode).toBe(409);
    expect(json<ErrorBody>(res).error.code).toBe("conflict");
    const other = await createOrg(h);
    await createPrompt(other.key, { name: "dup" });
  });

  it("a viewer can read prompts but not create, change or delete them (403)", async () => {
    const org = await createOrg(h);
    const viewer = await org.member("viewer");
    const p = await createPrompt(org.key, { name: `ro-${uniq()}`, version: version("x") });
    expect(
      (await h.inject({ method: "GET", url: "/api/v1/prompts", headers: viewer.session })).statusCode,
    ).toBe(200);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: viewer.session })).statusCode,
    ).toBe(200);
    const attempts = [
      { method: "POST" as const, url: "/api/v1/prompts", payload: { name: "viewer-made" } },
      { method: "PATCH" as const, url: `/api/v1/prompts/${p.id}`, payload: { name: "viewer-renamed" } },
      { method: "POST" as const, url: `/api/v1/prompts/${p.id}/versions`, payload: version("v") },
      { method: "PUT" as const, url: `/api/v1/prompts/${p.id}/labels/production`, payload: { version: 1 } },
      { method: "DELETE" as const, url: `/api/v1/prompts/${p.id}` },
    ];
    for (const a of attempts) {
      const res = await h.inject({ ...a, headers: viewer.session });
      expect(res.statusCode, `${a.method} ${a.url}`).toBe(403);
    }
    // nor run them (no executions:run)
    expect((await execute(viewer.session, p.id, {})).statusCode).toBe(403);
    const got = json<Prompt>(
      await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key }),
    );
    expect(got.name).toBe(p.name);
    expect(got.latest_version).toBe(1);
  });

  it("deleting a prompt makes it 404; its executions survive with prompt_id null", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `del-${uniq()}`, version: version("bye {{n}}") });
    await setLabel(org.key, p.id, "production", 1);
    const e = await execute(org.key, p.id, { variables: { n: 1 } });
    expect(e.statusCode, e.body).toBe(200);
    const execId = json<Execution>(e).id;

    const del = await h.inject({ method: "DELETE", url: `/api/v1/prompts/${p.id}`, headers: org.key });
    expect(del.statusCode, del.body).toBe(204);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}`, headers: org.key })).statusCode,
    ).toBe(404);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/prompts/${p.id}/versions`, headers: org.key }))
        .statusCode,
    ).toBe(404);
    expect((await execute(org.key, p.id, {})).statusCode).toBe(404);
    expect(
      (await h.inject({ method: "DELETE", url: `/api/v1/prompts/${p.id}`, headers: org.key })).statusCode,
    ).toBe(404);

    const kept = await h.inject({ method: "GET", url: `/api/v1/executions/${execId}`, headers: org.key });
    expect(kept.statusCode, kept.body).toBe(200);
    const body = json<Execution>(kept);
    expect(body.prompt_id).toBeNull();
    expect(body.prompt_version_id).toBeNull();
    expect(body.output).toContain("bye 1");
    const usage = await h.deps.db
      .selectFrom("usage_records")
      .select(["prompt_id"])
      .where("execution_id", "=", execId)
      .executeTakeFirstOrThrow();
    expect(usage.prompt_id).toBeNull();
    // and the name is free again
    await createPrompt(org.key, { name: p.name });
  });

  it("a version number beyond the database's integer range is a client error, not a 500", async () => {
    const org = await createOrg(h);
    const p = await createPrompt(org.key, { name: `bigint-${uniq()}`, version: version("x") });
    const huge = 2 ** 31; // one past PostgreSQL's integer
    const get = await h.inject({
      method: "GET",
      url: `/api/v1/prompts/${p.id}/versions/${huge}`,
      headers: org.key,
    });
    expect([400, 404], `GET version: ${get.body}`).toContain(get.statusCode);
    const label = await setLabel(org.key, p.id, "production", huge);
    expect([400, 404], `PUT label: ${label.body}`).toContain(label.statusCode);
    const run = await execute(org.key, p.id, { version: huge });
    expect([400, 404], `execute: ${run.body}`).toContain(run.statusCode);
  });

  it("a NUL character in a prompt name or a search is a 400, not a 500", async () => {
    const org = await createOrg(h);
    const create = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: org.key,
      payload: { name: "nul\u0000name" },
    });
    expect(create.statusCode, create.body).toBe(400);
    const search = await h.inject({
      method: "GET",
      url: `/api/v1/prompts?search=${encodeURIComponent("a\u0000b")}`,
      headers: org.key,
    });
    expect(search.statusCode, search.body).toBe(400);
  });
});
