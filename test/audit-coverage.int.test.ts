import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeTable } from "../src/lib/http.ts";
import { createHarness, createOrg, type Harness, json, skipReason } from "./helpers/harness.ts";

/**
 * Every mutating route writes an audit row in the same transaction as the change. The route table says
 * which action each route writes (rules.audit); this suite performs each mutation for real and finds the row
 * by the response's request id. A mutating route that declares no audit rule fails the suite.
 */
describe.skipIf(skipReason)("audit coverage of mutations", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  it("declares an audit action (or a reason for none) on every mutating route", () => {
    const mutating = routeTable(h.app).filter((r) => ["POST", "PUT", "PATCH", "DELETE"].includes(r.method));
    expect(mutating.length).toBeGreaterThan(20);
    for (const r of mutating) {
      expect(r.rules.audit, `${r.method} ${r.url} declares no audit rule`).toBeDefined();
    }
  });

  it("writes the declared audit row, with actor, request id, IP and user agent, for every audited route", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    await h.deps.db
      .insertInto("memberships")
      .values({ organization_id: other.orgId, user_id: org.owner.userId, role: "viewer" })
      .execute();
    const headers = { ...org.owner.session, "user-agent": "audit-suite/1.0" };
    const exercised = new Map<string, string>();

    async function call(
      method: string,
      template: string,
      url: string,
      payload?: unknown,
      h2: Record<string, string> = headers,
    ) {
      const res = await h.inject({
        method: method as "POST",
        url,
        headers: h2,
        ...(payload ? { payload: payload as object } : {}),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      exercised.set(`${method} ${template}`, String(res.headers["x-request-id"]));
      return res;
    }
    const body = (res: LightMyRequestResponse) => json<{ id: string; user_id?: string }>(res);

    await call("PATCH", "/api/v1/organization", "/api/v1/organization", { name: "Audited Org" });
    const member = body(
      await call("POST", "/api/v1/members", "/api/v1/members", {
        email: `m-${Date.now()}@example.test`,
        role: "member",
      }),
    );
    await call("PATCH", "/api/v1/members/:userId", `/api/v1/members/${member.user_id}`, { role: "viewer" });
    await call("DELETE", "/api/v1/members/:userId", `/api/v1/members/${member.user_id}`);
    const key = body(
      await call("POST", "/api/v1/api-keys", "/api/v1/api-keys", {
        name: "audited",
        scopes: ["prompts:read"],
      }),
    );
    await call("DELETE", "/api/v1/api-keys/:keyId", `/api/v1/api-keys/${key.id}`);
    const cred = body(
      await call("POST", "/api/v1/providers", "/api/v1/providers", {
        provider: "openai-compatible",
        name: "local",
        api_key: "sk-audit-secret-value-1234",
        base_url: "http://127.0.0.1:9/v1",
      }),
    );
    await call("PATCH", "/api/v1/providers/:providerId", `/api/v1/providers/${cred.id}`, {
      api_key: "sk-rotated-secret-5678",
    });
    const model = body(
      await call("POST", "/api/v1/models", "/api/v1/models", {
        slug: "local/llama",
        upstream_model: "llama",
        credential_id: cred.id,
        context_window: 8192,
        max_output_tokens: 512,
      }),
    );
    await call("POST", "/api/v1/models/:modelId/prices", `/api/v1/models/${model.id}/prices`, {
      input_per_mtok: "0.1",
      output_per_mtok: "0.2",
    });
    await call("DELETE", "/api/v1/models/:modelId", `/api/v1/models/${model.id}`);
    await call("DELETE", "/api/v1/providers/:providerId", `/api/v1/providers/${cred.id}`);
    const prompt = body(
      await call("POST", "/api/v1/prompts", "/api/v1/prompts", {
        name: "audited",
        version: { model: "mock/echo", messages: [{ role: "user", content: "hi" }] },
      }),
    );
    await call("PATCH", "/api/v1/prompts/:promptId", `/api/v1/prompts/${prompt.id}`, { description: "d" });
    await call("POST", "/api/v1/prompts/:promptId/versions", `/api/v1/prompts/${prompt.id}/versions`, {
      model: "mock/echo",
      messages: [{ role: "user", content: "v2" }],
    });
    await call(
      "PUT",
      "/api/v1/prompts/:promptId/labels/:label",
      `/api/v1/prompts/${prompt.id}/labels/production`,
      { version: 2 },
    );
    await call(
      "DELETE",
      "/api/v1/prompts/:promptId/labels/:label",
      `/api/v1/prompts/${prompt.id}/labels/production`,
    );
    await call("DELETE", "/api/v1/prompts/:promptId", `/api/v1/prompts/${prompt.id}`);
    const evalPrompt = body(
      await h.inject({
        method: "POST",
        url: "/api/v1/prompts",
        headers,
        payload: {
          name: "eval-audited",
          version: { model: "mock/echo", messages: [{ role: "user", content: "Hi {{name}}" }] },
        },
      }),
    );
    const ds = body(
      await call("POST", "/api/v1/datasets", "/api/v1/datasets", {
        name: "audited-ds",
        items: [{ variables: { name: "a" }, expected: "Echo: Hi a" }],
      }),
    );
    await call("PATCH", "/api/v1/datasets/:datasetId", `/api/v1/datasets/${ds.id}`, { description: "d" });
    await call("POST", "/api/v1/datasets/:datasetId/items", `/api/v1/datasets/${ds.id}/items`, {
      items: [{ variables: { name: "b" }, expected: "Echo: Hi b" }],
    });
    await call("POST", "/api/v1/datasets/:datasetId/import", `/api/v1/datasets/${ds.id}/import`, {
      format: "csv",
      content: "name,expected\nc,Echo: Hi c\n",
    });
    const copy = body(
      await call("POST", "/api/v1/datasets/:datasetId/copy", `/api/v1/datasets/${ds.id}/copy`, {}),
    );
    // delete the copy: the original is frozen once the run below uses it
    await call("DELETE", "/api/v1/datasets/:datasetId", `/api/v1/datasets/${copy.id}`);
    const evalRun = body(
      await call("POST", "/api/v1/evaluations/batch", "/api/v1/evaluations/batch", {
        dataset_id: ds.id,
        targets: [{ prompt_id: evalPrompt.id }],
        models: ["mock/echo"],
        evaluators: [{ type: "exact_match" }],
      }),
    );
    await call(
      "POST",
      "/api/v1/evaluations/:evaluationRunId/cancel",
      `/api/v1/evaluations/${evalRun.id}/cancel`,
      {},
    );
    const WF = {
      inputs: [{ name: "topic" }],
      steps: [{ id: "up", type: "transform", op: "uppercase", input: "{{inputs.topic}}" }],
      output: "{{steps.up.output}}",
    };
    const wf = body(
      await call("POST", "/api/v1/workflows", "/api/v1/workflows", { name: "audited-wf", definition: WF }),
    );
    await call("PUT", "/api/v1/workflows/:workflowId", `/api/v1/workflows/${wf.id}`, {
      name: "audited-wf",
      definition: WF,
    });
    const wfRun = body(
      await call("POST", "/api/v1/workflows/:workflowId/execute", `/api/v1/workflows/${wf.id}/execute`, {
        inputs: { topic: "x" },
      }),
    );
    // cancel before delete: a workflow with an active run cannot be deleted
    await call(
      "POST",
      "/api/v1/workflows/runs/:runId/cancel",
      `/api/v1/workflows/runs/${wfRun.id}/cancel`,
      {},
    );
    await call("DELETE", "/api/v1/workflows/:workflowId", `/api/v1/workflows/${wf.id}`);
    const login = await call(
      "POST",
      "/api/v1/auth/login",
      "/api/v1/auth/login",
      { email: org.owner.email, password: "correct horse battery staple" },
      { "user-agent": "audit-suite/1.0" },
    );
    const cookie = String(login.headers["set-cookie"]).split(";")[0] as string;
    await call(
      "POST",
      "/api/v1/me/organization",
      "/api/v1/me/organization",
      { organization_id: other.orgId },
      { cookie, "user-agent": "audit-suite/1.0" },
    );
    await call("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", undefined, {
      cookie,
      "user-agent": "audit-suite/1.0",
    });

    const audited = routeTable(h.app).filter((r) => typeof r.rules.audit === "string");
    for (const r of audited) {
      const requestId = exercised.get(`${r.method} ${r.url}`);
      expect(requestId, `${r.method} ${r.url} was not exercised by this suite`).toBeDefined();
      const rows = await h.deps.db
        .selectFrom("audit_logs")
        .selectAll()
        .where("request_id", "=", requestId as string)
        .execute();
      const row = rows.find((x) => x.action === r.rules.audit);
      expect(
        row,
        `${r.method} ${r.url} wrote no "${r.rules.audit}" row (found: ${rows.map((x) => x.action).join(", ")})`,
      ).toBeDefined();
      if (r.url !== "/api/v1/auth/login") {
        expect(row?.actor_type).toBe("user");
        expect(row?.actor_id).toBe(org.owner.userId);
      }
      if (row?.actor_type !== "system") {
        expect(row?.user_agent).toBe("audit-suite/1.0");
        expect(row?.ip).toBeTruthy();
      }
    }
    // No secret reaches the audit log.
    const all = await h.deps.db
      .selectFrom("audit_logs")
      .select("summary")
      .where("organization_id", "=", org.orgId)
      .execute();
    const text = JSON.stringify(all);
    expect(text).not.toContain("sk-audit-secret-value-1234");
    expect(text).not.toContain("sk-rotated-secret-5678");
    expect(text).not.toContain("correct horse");
  });

  it("rolls back the change when the request fails after writing (no partial writes)", async () => {
    const org = await createOrg(h);
    // Two prompts, then rename the second to the first's name: the unique violation must leave no audit row.
    const mk = (name: string) =>
      h.inject({ method: "POST", url: "/api/v1/prompts", headers: org.key, payload: { name } });
    await mk("one");
    const two = json<{ id: string }>(await mk("two"));
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/prompts/${two.id}`,
      headers: org.key,
      payload: { name: "one" },
    });
    expect(res.statusCode).toBe(409);
    const rows = await h.deps.db
      .selectFrom("audit_logs")
      .select("action")
      .where("request_id", "=", String(res.headers["x-request-id"]))
      .execute();
    expect(rows).toEqual([]);
  });
});
