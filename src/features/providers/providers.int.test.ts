import { randomBytes } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeProviderServer, startFakeProviderServer } from "../../../test/fakes/provider-server.ts";
import { createHarness, createOrg, type Harness, json, skipReason } from "../../../test/helpers/harness.ts";

type ErrorBody = {
  error: { code: string; message: string; request_id: string; details?: Array<{ path: string }> };
};
interface Credential {
  id: string;
  provider: string;
  name: string;
  base_url: string | null;
  key_hint: string;
  created_at: string;
  updated_at: string;
}

/** A realistic-looking, unique secret, so a leak anywhere is unmistakable. */
const secret = (prefix = "sk-proj-") => `${prefix}${randomBytes(24).toString("hex")}`;

describe.skipIf(skipReason)("provider credentials", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  beforeAll(async () => {
    h = await createHarness();
    fake = await startFakeProviderServer();
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  const create = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    h.inject({ method: "POST", url: "/api/v1/providers", headers, payload });

  /** Every trace of the secret the org could read back: API answers, audit rows. */
  async function assertSecretNowhere(
    orgId: string,
    headers: Record<string, string>,
    raw: string,
    responses: LightMyRequestResponse[],
  ) {
    for (const r of responses) expect(r.body).not.toContain(raw);
    const list = await h.inject({ method: "GET", url: "/api/v1/providers", headers });
    expect(list.body).not.toContain(raw);
    const auditRows = await h.deps.db
      .selectFrom("audit_logs")
      .select(["action", "summary"])
      .where("organization_id", "=", orgId)
      .execute();
    expect(auditRows.length).toBeGreaterThan(0);
    expect(JSON.stringify(auditRows)).not.toContain(raw);
    // nor a long piece of it
    expect(JSON.stringify(auditRows)).not.toContain(raw.slice(0, 20));
    const auditApi = await h.inject({ method: "GET", url: "/api/v1/audit-logs", headers });
    expect(auditApi.statusCode).toBe(200);
    expect(auditApi.body).not.toContain(raw);
  }

  it("stores a credential encrypted and never returns the secret", async () => {
    const org = await createOrg(h);
    const raw = secret();
    const res = await create(org.owner.session, { provider: "openai", name: "main", api_key: raw });
    expect(res.statusCode, res.body).toBe(201);
    const c = json<Credential>(res);
    expect(c).toMatchObject({ provider: "openai", name: "main", base_url: null });
    expect(c).not.toHaveProperty("api_key");
    expect(c).not.toHaveProperty("secret_ciphertext");
    // masked: a recognisable hint, the last four characters, nothing like the whole key
    expect(c.key_hint).toContain(raw.slice(-4));
    expect(c.key_hint.length).toBeLessThanOrEqual(12);
    expect(raw).not.toContain(c.key_hint);

    const get = await h.inject({
      method: "GET",
      url: `/api/v1/providers/${c.id}`,
      headers: org.owner.session,
    });
    expect(get.statusCode).toBe(200);
    expect(json<Credential>(get).key_hint).toBe(c.key_hint);
    await assertSecretNowhere(org.orgId, org.owner.session, raw, [res, get]);

    // the column holds ciphertext under the master key, not the plaintext
    const row = await h.deps.db
      .selectFrom("provider_credentials")
      .selectAll()
      .where("id", "=", c.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).not.toBe(raw);
    expect(row.secret_ciphertext).not.toContain(raw);
    expect(row.secret_ciphertext).not.toContain(Buffer.from(raw).toString("base64url"));
    expect(row.secret_ciphertext).toMatch(/^v1\./);
    expect(h.deps.secrets.decrypt(row.secret_ciphertext)).toBe(raw);
    expect(JSON.stringify(row)).not.toContain(raw);
  });

  it("masks a short secret without revealing its head", async () => {
    const org = await createOrg(h);
    const res = await create(org.owner.session, { provider: "anthropic", api_key: "short-abcd" });
    expect(res.statusCode, res.body).toBe(201);
    const c = json<Credential>(res);
    expect(c.name).toBe("anthropic");
    expect(c.key_hint).not.toContain("short");
    expect(c.key_hint.endsWith("abcd")).toBe(true);
  });

  it('a very short secret (as local servers use, e.g. "none") is not revealed whole by key_hint', async () => {
    const org = await createOrg(h);
    for (const raw of ["none", "abc"]) {
      const res = await create(org.owner.session, {
        provider: "openai-compatible",
        name: `local-${raw}`,
        api_key: raw,
        base_url: "http://127.0.0.1:9/v1",
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(json<Credential>(res).key_hint, raw).not.toContain(raw);
    }
  });

  it("PATCH cannot remove the base_url of an openai-compatible credential (400 naming body.base_url)", async () => {
    const org = await createOrg(h);
    const c = json<Credential>(
      await create(org.owner.session, {
        provider: "openai-compatible",
        name: "selfhosted",
        api_key: secret(),
        base_url: "http://10.0.0.7:8000/v1",
      }),
    );
    // without a base_url its calls would go to the SDK's default host (api.openai.com), with this key
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/providers/${c.id}`,
      headers: org.owner.session,
      payload: { base_url: null },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(json<ErrorBody>(res).error.details?.map((d) => d.path)).toContain("body.base_url");
    const after = json<Credential>(
      await h.inject({ method: "GET", url: `/api/v1/providers/${c.id}`, headers: org.owner.session }),
    );
    expect(after.base_url).toBe("http://10.0.0.7:8000/v1");
  });

  it("an openai-compatible credential without base_url is 400 naming body.base_url", async () => {
    const org = await createOrg(h);
    const res = await create(org.owner.session, {
      provider: "openai-compatible",
      name: "vllm",
      api_key: secret(),
    });
    expect(res.statusCode).toBe(400);
    const body = json<ErrorBody>(res);
    expect(body.error.details?.map((d) => d.path)).toContain("body.base_url");
    const list = json<{ data: Credential[] }>(
      await h.inject({ method: "GET", url: "/api/v1/providers", headers: org.owner.session }),
    );
    expect(list.data).toHaveLength(0);
    // with one it is fine
    const ok = await create(org.owner.session, {
      provider: "openai-compatible",
      name: "vllm",
      api_key: secret(),
      base_url: "http://10.0.0.5:8000/v1",
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json<Credential>(ok).base_url).toBe("http://10.0.0.5:8000/v1");
  });

  it("rejects a non-http base_url and a bad name with 400 and a field path", async () => {
    const org = await createOrg(h);
    const badUrl = await create(org.owner.session, {
      provider: "openai-compatible",
      api_key: secret(),
      base_url: "file:///etc/passwd",
    });
    expect(badUrl.statusCode).toBe(400);
    expect(json<ErrorBody>(badUrl).error.details?.map((d) => d.path)).toContain("body.base_url");
    const badName = await create(org.owner.session, { provider: "openai", name: "Has Spaces", api_key: "x" });
    expect(badName.statusCode).toBe(400);
    expect(json<ErrorBody>(badName).error.details?.map((d) => d.path)).toContain("body.name");
  });

  it("a duplicate name in one org is 409; the same name in another org is fine", async () => {
    const org = await createOrg(h);
    expect(
      (await create(org.owner.session, { provider: "openai", name: "prod", api_key: secret() })).statusCode,
    ).toBe(201);
    const dupRaw = secret();
    const dup = await create(org.owner.session, { provider: "anthropic", name: "prod", api_key: dupRaw });
    expect(dup.statusCode).toBe(409);
    expect(json<ErrorBody>(dup).error.code).toBe("conflict");
    expect(dup.body).not.toContain(dupRaw);
    const other = await createOrg(h);
    expect(
      (await create(other.owner.session, { provider: "openai", name: "prod", api_key: secret() })).statusCode,
    ).toBe(201);
  });

  it("rotating the secret via PATCH changes key_hint and the stored ciphertext, never echoing either secret", async () => {
    const org = await createOrg(h);
    const first = secret();
    const c = json<Credential>(await create(org.owner.session, { provider: "openai", api_key: first }));
    const before = await h.deps.db
      .selectFrom("provider_credentials")
      .select("secret_ciphertext")
      .where("id", "=", c.id)
      .executeTakeFirstOrThrow();
    const second = secret("sk-other-");
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/providers/${c.id}`,
      headers: org.owner.session,
      payload: { api_key: second },
    });
    expect(res.statusCode, res.body).toBe(200);
    const after = json<Credential>(res);
    expect(after.key_hint).not.toBe(c.key_hint);
    expect(after.key_hint).toContain(second.slice(-4));
    expect(after.name).toBe(c.name);
    const row = await h.deps.db
      .selectFrom("provider_credentials")
      .select("secret_ciphertext")
      .where("id", "=", c.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).not.toBe(before.secret_ciphertext);
    expect(h.deps.secrets.decrypt(row.secret_ciphertext)).toBe(second);
    await assertSecretNowhere(org.orgId, org.owner.session, first, [res]);
    await assertSecretNowhere(org.orgId, org.owner.session, second, [res]);
    const audit = await h.deps.db
      .selectFrom("audit_logs")
      .select("action")
      .where("organization_id", "=", org.orgId)
      .where("resource_id", "=", c.id)
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual([
      "provider_credential.create",
      "provider_credential.update",
    ]);
  });

  it("renaming to a name another credential has is 409", async () => {
    const org = await createOrg(h);
    await create(org.owner.session, { provider: "openai", name: "a", api_key: secret() });
    const b = json<Credential>(
      await create(org.owner.session, { provider: "openai", name: "b", api_key: secret() }),
    );
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/providers/${b.id}`,
      headers: org.owner.session,
      payload: { name: "a" },
    });
    expect(res.statusCode).toBe(409);
  });

  it("deleting a credential that an org model uses is 409; after the model is gone it is 204", async () => {
    const org = await createOrg(h);
    const c = json<Credential>(
      await create(org.owner.session, {
        provider: "openai-compatible",
        name: "local",
        api_key: secret(),
        base_url: "http://127.0.0.1:9/v1",
      }),
    );
    const model = await h.inject({
      method: "POST",
      url: "/api/v1/models",
      headers: org.owner.session,
      payload: {
        slug: "local/llama",
        upstream_model: "llama-3.1-8b",
        credential_id: c.id,
        context_window: 8192,
        max_output_tokens: 2048,
      },
    });
    expect(model.statusCode, model.body).toBe(201);
    const del = await h.inject({
      method: "DELETE",
      url: `/api/v1/providers/${c.id}`,
      headers: org.owner.session,
    });
    expect(del.statusCode).toBe(409);
    expect(json<ErrorBody>(del).error.code).toBe("conflict");
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/providers/${c.id}`, headers: org.owner.session }))
        .statusCode,
    ).toBe(200);

    const modelId = json<{ id: string }>(model).id;
    const delModel = await h.inject({
      method: "DELETE",
      url: `/api/v1/models/${modelId}`,
      headers: org.owner.session,
    });
    expect(delModel.statusCode).toBe(204);
    const del2 = await h.inject({
      method: "DELETE",
      url: `/api/v1/providers/${c.id}`,
      headers: org.owner.session,
    });
    expect(del2.statusCode).toBe(204);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/providers/${c.id}`, headers: org.owner.session }))
        .statusCode,
    ).toBe(404);
  });

  it("a member can list credentials (providers:read) but not create, change or delete them (403)", async () => {
    const org = await createOrg(h);
    const c = json<Credential>(
      await create(org.owner.session, { provider: "gemini", api_key: secret("AIza") }),
    );
    const m = await org.member("member");
    const list = await h.inject({ method: "GET", url: "/api/v1/providers", headers: m.session });
    expect(list.statusCode, list.body).toBe(200);
    expect(json<{ data: Credential[] }>(list).data.map((x) => x.id)).toEqual([c.id]);
    const post = await create(m.session, { provider: "openai", api_key: secret() });
    expect(post.statusCode).toBe(403);
    expect(json<ErrorBody>(post).error.code).toBe("forbidden");
    const patch = await h.inject({
      method: "PATCH",
      url: `/api/v1/providers/${c.id}`,
      headers: m.session,
      payload: { api_key: secret() },
    });
    expect(patch.statusCode).toBe(403);
    const del = await h.inject({ method: "DELETE", url: `/api/v1/providers/${c.id}`, headers: m.session });
    expect(del.statusCode).toBe(403);
    // a viewer cannot even list them
    const viewer = await org.member("viewer");
    expect(
      (await h.inject({ method: "GET", url: "/api/v1/providers", headers: viewer.session })).statusCode,
    ).toBe(403);
  });

  it("another org cannot read, change or delete a credential (404)", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    const c = json<Credential>(await create(a.owner.session, { provider: "openai", api_key: secret() }));
    for (const method of ["GET", "PATCH", "DELETE"] as const) {
      const res = await h.inject({
        method,
        url: `/api/v1/providers/${c.id}`,
        headers: b.owner.session,
        ...(method === "PATCH" ? { payload: { name: "stolen" } } : {}),
      });
      expect(res.statusCode, method).toBe(404);
    }
    const list = json<{ data: Credential[] }>(
      await h.inject({ method: "GET", url: "/api/v1/providers", headers: b.owner.session }),
    );
    expect(list.data).toHaveLength(0);
  });

  /** An openai-compatible credential on the fake provider server and a model served by it. */
  async function fakeModel(headers: Record<string, string>, raw: string) {
    const c = await create(headers, {
      provider: "openai-compatible",
      name: `fake-${randomBytes(3).toString("hex")}`,
      api_key: raw,
      base_url: `${fake.url}/v1`,
    });
    expect(c.statusCode, c.body).toBe(201);
    const slug = `fake/m-${randomBytes(3).toString("hex")}`;
    const m = await h.inject({
      method: "POST",
      url: "/api/v1/models",
      headers,
      payload: {
        slug,
        upstream_model: "fake-model",
        credential_id: json<Credential>(c).id,
        context_window: 8192,
        max_output_tokens: 1024,
      },
    });
    expect(m.statusCode, m.body).toBe(201);
    return { credential: json<Credential>(c), slug };
  }

  const run = (headers: Record<string, string>, model: string) =>
    h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers,
      payload: { model, messages: [{ role: "user", content: "hi" }] },
    });

  it("sends the decrypted secret upstream as the Bearer token, and a rotated secret on the next call", async () => {
    const org = await createOrg(h);
    const raw = secret();
    const { credential, slug } = await fakeModel(org.owner.session, raw);
    fake.reset();
    fake.requests.length = 0;
    const res = await run(org.key, slug);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain(raw);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${raw}`);

    const rotated = secret("sk-rotated-");
    const patch = await h.inject({
      method: "PATCH",
      url: `/api/v1/providers/${credential.id}`,
      headers: org.owner.session,
      payload: { api_key: rotated },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    const again = await run(org.key, slug);
    expect(again.statusCode, again.body).toBe(200);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${rotated}`);
  });

  it("an upstream error that echoes the key leaks it into neither the answer nor the execution record", async () => {
    const org = await createOrg(h);
    const raw = secret();
    const { slug } = await fakeModel(org.owner.session, raw);
    fake.reset();
    fake.setScenario({ kind: "unauthorized" });
    try {
      const res = await run(org.key, slug);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain(raw);
      const rows = await h.deps.db
        .selectFrom("executions")
        .selectAll()
        .where("organization_id", "=", org.orgId)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.status).toBe("failed");
      expect(JSON.stringify(rows)).not.toContain(raw);
      const list = await h.inject({ method: "GET", url: "/api/v1/executions", headers: org.key });
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(raw);
    } finally {
      fake.reset();
    }
  });
});
