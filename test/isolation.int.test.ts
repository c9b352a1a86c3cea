import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rolePermissions, roles } from "../src/features/auth/permissions.ts";
import { enqueueJob } from "../src/features/jobs/service.ts";
import { createKeyForBootstrap } from "../src/features/keys/service.ts";
import { inTransaction } from "../src/lib/db.ts";
import type { Role } from "../src/lib/db-types.ts";
import { type RouteInfo, routeTable } from "../src/lib/http.ts";
import { createHarness, createOrg, type Harness, json, skipReason, type TestOrg } from "./helpers/harness.ts";

/**
 * The shared tenant-isolation and role suite. It walks the app's route table, so every org-scoped route —
 * including ones added later — is checked:
 *  1. org A's owner (session and all-scopes key) gets 404, never 403 or data, for each of org B's resources;
 *  2. org A's lists never contain an id of org B's;
 *  3. each role (and a key scoped like it) gets 403 exactly on the routes its permissions exclude;
 *  4. no org-scoped route answers without credentials.
 * A new route with path params needs an entry in `bodies` (when it takes a body) and a param kind in its
 * rules; the suite fails until it has them.
 */

const uniq = () => randomBytes(4).toString("hex");

const WF = {
  inputs: [{ name: "topic" }],
  steps: [{ id: "up", type: "transform", op: "uppercase", input: "{{inputs.topic}}" }],
  output: "{{steps.up.output}}",
};

/** A valid body for each route that takes one, so that validation passes and authorization/existence decide. */
const bodies: Record<string, () => unknown> = {
  "PATCH /api/v1/organization": () => ({ name: `Renamed ${uniq()}` }),
  "POST /api/v1/members": () => ({ email: `new-${uniq()}@example.test`, role: "viewer" }),
  "PATCH /api/v1/members/:userId": () => ({ role: "viewer" }),
  "POST /api/v1/api-keys": () => ({ name: `k-${uniq()}`, scopes: ["prompts:read"] }),
  "POST /api/v1/providers": () => ({
    provider: "openai",
    name: `p-${uniq()}`,
    api_key: "sk-test-0123456789abcdef",
  }),
  "PATCH /api/v1/providers/:providerId": () => ({ name: `renamed-${uniq()}` }),
  "POST /api/v1/models": () => ({
    slug: `vllm-${uniq()}/llama`,
    upstream_model: "llama",
    credential_id: "prv_missing",
    context_window: 8192,
    max_output_tokens: 1024,
  }),
  "POST /api/v1/models/:modelId/prices": () => ({ input_per_mtok: "1", output_per_mtok: "2" }),
  "POST /api/v1/prompts": () => ({
    name: `p-${uniq()}`,
    version: { model: "mock/echo", messages: [{ role: "user", content: "Hi {{name}}" }] },
  }),
  "PATCH /api/v1/prompts/:promptId": () => ({ description: "changed" }),
  "POST /api/v1/prompts/:promptId/versions": () => ({
    model: "mock/echo",
    messages: [{ role: "user", content: "v" }],
  }),
  "PUT /api/v1/prompts/:promptId/labels/:label": () => ({ version: 1 }),
  "POST /api/v1/prompts/:promptId/execute": () => ({ variables: { name: "x" } }),
  "POST /api/v1/executions": () => ({ model: "mock/echo", messages: [{ role: "user", content: "hi" }] }),
  "POST /v1/chat/completions": () => ({ model: "mock/echo", messages: [{ role: "user", content: "hi" }] }),
  "POST /api/v1/me/organization": () => ({ organization_id: "org_missing" }),
  "POST /api/v1/workflows": () => ({ name: `wf-${uniq()}`, definition: WF }),
  "POST /api/v1/datasets": () => ({
    name: `ds-${uniq()}`,
    items: [{ variables: { name: "x" }, expected: "y" }],
  }),
  "PATCH /api/v1/datasets/:datasetId": () => ({ description: "changed" }),
  "POST /api/v1/datasets/:datasetId/items": () => ({ items: [{ variables: { name: "z" } }] }),
  "POST /api/v1/datasets/:datasetId/import": () => ({
    format: "jsonl",
    content: '{"variables": {"name": "j"}}',
  }),
  "POST /api/v1/datasets/:datasetId/copy": () => ({ name: `copy-${uniq()}` }),
  "POST /api/v1/evaluations/batch": () => ({
    dataset_id: "ds_missing",
    targets: [{ prompt_id: "pmt_missing" }],
    models: ["mock/echo"],
    evaluators: [{ type: "exact_match" }],
  }),
  "POST /api/v1/evaluations/:evaluationRunId/cancel": () => ({}),
  "PUT /api/v1/workflows/:workflowId": () => ({ name: `wf-${uniq()}`, definition: WF }),
  "POST /api/v1/workflows/:workflowId/execute": () => ({ inputs: { topic: "x" } }),
  "POST /api/v1/workflows/runs/:runId/cancel": () => ({}),
  "POST /api/v1/auth/login": () => ({ email: "nobody@example.test", password: "x" }),
};

const routeKey = (r: RouteInfo) => `${r.method} ${r.url}`;

function fillPath(url: string, values: Record<string, string>): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${url}`);
    return encodeURIComponent(v);
  });
}

interface OrgResources {
  promptId: string;
  executionId: string;
  keyId: string;
  credentialId: string;
  modelId: string;
  memberUserId: string;
  jobId: string;
  workflowId: string;
  workflowRunId: string;
  datasetId: string;
  evaluationRunId: string;
}

async function seedResources(h: Harness, org: TestOrg): Promise<OrgResources> {
  const headers = org.key;
  const p = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers,
      payload: bodies["POST /api/v1/prompts"]?.() as object,
    }),
  );
  await h.inject({
    method: "PUT",
    url: `/api/v1/prompts/${p.id}/labels/production`,
    headers,
    payload: { version: 1 },
  });
  const e = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/execute`,
      headers,
      payload: { variables: { name: "b" } },
    }),
  );
  const k = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers,
      payload: { name: "b-key", scopes: ["prompts:read"] },
    }),
  );
  const c = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/providers",
      headers,
      payload: {
        provider: "openai-compatible",
        name: "vllm",
        api_key: "secret-b-0123456789",
        base_url: "http://127.0.0.1:9/v1",
      },
    }),
  );
  const m = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/models",
      headers,
      payload: {
        slug: "vllm/llama-b",
        upstream_model: "llama",
        credential_id: c.id,
        context_window: 8192,
        max_output_tokens: 512,
      },
    }),
  );
  const member = await org.member("member");
  const job = await inTransaction(h.deps.db, (tx) =>
    enqueueJob(tx, { orgId: org.orgId, kind: "isolation.noop", payload: {} }),
  );
  const wf = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/workflows",
      headers,
      payload: { name: `wf-${uniq()}`, definition: WF },
    }),
  );
  // No job runner in this harness: the run stays queued, which is all the suite needs.
  const wfRun = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: `/api/v1/workflows/${wf.id}/execute`,
      headers,
      payload: { inputs: { topic: "b" } },
    }),
  );
  const ds = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/datasets",
      headers,
      payload: { name: `ds-${uniq()}`, items: [{ variables: { name: "b" }, expected: "Echo: Hi b" }] },
    }),
  );
  const evalRun = json<{ id: string }>(
    await h.inject({
      method: "POST",
      url: "/api/v1/evaluations/batch",
      headers,
      payload: {
        dataset_id: ds.id,
        targets: [{ prompt_id: p.id }],
        models: ["mock/echo"],
        evaluators: [{ type: "exact_match" }],
      },
    }),
  );
  const ids = {
    datasetId: ds.id,
    evaluationRunId: evalRun.id,
    workflowId: wf.id,
    workflowRunId: wfRun.id,
    jobId: job.id,
    promptId: p.id,
    executionId: e.id,
    keyId: k.id,
    credentialId: c.id,
    modelId: m.id,
    memberUserId: member.userId,
  };
  for (const [name, id] of Object.entries(ids)) expect(id, `seeding ${name}`).toMatch(/^[a-z]+_/);
  return ids;
}

/** Param values naming org B's resources, by the param kinds declared in route rules. */
function paramValues(r: OrgResources): Record<string, string> {
  return {
    promptId: r.promptId,
    executionId: r.executionId,
    keyId: r.keyId,
    providerId: r.credentialId,
    modelId: r.modelId,
    userId: r.memberUserId,
    jobId: r.jobId,
    workflowId: r.workflowId,
    runId: r.workflowRunId,
    datasetId: r.datasetId,
    evaluationRunId: r.evaluationRunId,
    version: "1",
    label: "production",
  };
}

const missingParams: Record<string, string> = {
  promptId: "pmt_missing",
  executionId: "exe_missing",
  keyId: "key_missing",
  providerId: "prv_missing",
  modelId: "mdl_missing",
  userId: "usr_missing",
  jobId: "job_missing",
  workflowId: "wf_missing",
  runId: "wfr_missing",
  datasetId: "ds_missing",
  evaluationRunId: "evr_missing",
  version: "999",
  label: "missing-label",
};

describe.skipIf(skipReason)("tenant isolation and roles (walks the route table)", () => {
  let h: Harness;
  let a: TestOrg;
  let b: TestOrg;
  let bRes: OrgResources;
  let routes: RouteInfo[];
  let orgRoutes: RouteInfo[];

  beforeAll(async () => {
    h = await createHarness();
    a = await createOrg(h);
    b = await createOrg(h);
    await seedResources(h, a);
    bRes = await seedResources(h, b);
    routes = routeTable(h.app).filter((r) => !r.url.startsWith("/api/v1/docs"));
    orgRoutes = routes.filter((r) => (r.rules.auth ?? "org") === "org");
  });
  afterAll(async () => h?.close());

  it("sees a route table with every feature's org-scoped routes", () => {
    const keys = orgRoutes.map(routeKey);
    for (const expected of [
      "GET /api/v1/prompts/:promptId",
      "POST /api/v1/prompts/:promptId/execute",
      "DELETE /api/v1/api-keys/:keyId",
      "PATCH /api/v1/providers/:providerId",
      "GET /api/v1/executions/:executionId",
      "POST /v1/chat/completions",
    ]) {
      expect(keys).toContain(expected);
    }
    expect(orgRoutes.length).toBeGreaterThan(30);
  });

  it("declares a permission, a param kind for each path param, and a body for each body route", () => {
    for (const r of orgRoutes) {
      expect(r.rules.permission, `${routeKey(r)} has no permission`).toBeTruthy();
      for (const [, name] of r.url.matchAll(/:(\w+)/g)) {
        expect(r.rules.params?.[name as string], `${routeKey(r)} declares no kind for :${name}`).toBeTruthy();
        expect(missingParams[name as string], `the suite has no value for :${name}`).toBeTruthy();
      }
      if (["POST", "PUT", "PATCH"].includes(r.method)) {
        expect(bodies[routeKey(r)], `no example body for ${routeKey(r)}`).toBeTruthy();
      }
    }
  });

  it("answers 404 (not 403, never data) when org A touches org B's resources, by session and by key", async () => {
    const values = paramValues(bRes);
    const paramRoutes = orgRoutes.filter((r) => r.url.includes(":"));
    expect(paramRoutes.length).toBeGreaterThan(15);
    for (const r of paramRoutes) {
      for (const [who, headers] of [
        ["session", a.owner.session],
        ["key", a.key],
      ] as const) {
        const res = await h.inject({
          method: r.method as "GET",
          url: fillPath(r.url, values),
          headers,
          ...(bodies[routeKey(r)] ? { payload: bodies[routeKey(r)]?.() as object } : {}),
        });
        expect(res.statusCode, `${routeKey(r)} as A's ${who}: ${res.body}`).toBe(404);
        for (const id of Object.values(bRes)) expect(res.body).not.toContain(id);
      }
    }
    // And B's resources are untouched.
    const get = (url: string) => h.inject({ method: "GET", url, headers: b.key });
    expect((await get(`/api/v1/prompts/${bRes.promptId}`)).statusCode).toBe(200);
    expect(
      json<{ labels: Record<string, number> }>(await get(`/api/v1/prompts/${bRes.promptId}`)).labels,
    ).toEqual({ production: 1 });
    expect(
      json<{ latest_version: number }>(await get(`/api/v1/prompts/${bRes.promptId}`)).latest_version,
    ).toBe(1);
    expect((await get(`/api/v1/executions/${bRes.executionId}`)).statusCode).toBe(200);
    expect(
      json<{ revoked_at: string | null }>(await get(`/api/v1/api-keys/${bRes.keyId}`)).revoked_at,
    ).toBeNull();
    expect(json<{ name: string }>(await get(`/api/v1/providers/${bRes.credentialId}`)).name).toBe("vllm");
    expect((await get(`/api/v1/models/${bRes.modelId}`)).statusCode).toBe(200);
    const members = json<{ data: Array<{ user_id: string; role: string }> }>(await get("/api/v1/members"));
    expect(members.data.find((m) => m.user_id === bRes.memberUserId)?.role).toBe("member");
  });

  it("never lists org B's resources to org A", async () => {
    const lists = orgRoutes.filter((r) => r.method === "GET" && !r.url.includes(":"));
    expect(lists.length).toBeGreaterThan(8);
    const bIds = [...Object.values(bRes), b.orgId];
    for (const r of lists) {
      const res = await h.inject({ method: "GET", url: r.url, headers: a.owner.session });
      expect(res.statusCode, `${routeKey(r)}: ${res.body}`).toBe(200);
      for (const id of bIds) expect(res.body, `${routeKey(r)} leaks ${id}`).not.toContain(id);
    }
  });

  it("gives each role, and a key scoped like it, exactly its rights", async () => {
    const principals: Array<{ role: Role; label: string; headers: Record<string, string> }> = [];
    for (const role of roles) {
      const m = role === "owner" ? a.owner : await a.member(role);
      principals.push({ role, label: `${role} session`, headers: m.session });
      const { key } = await createKeyForBootstrap(h.deps.db, a.orgId, m.userId, `${role}-scoped`, [
        ...rolePermissions[role],
      ]);
      principals.push({ role, label: `${role}-scoped key`, headers: { authorization: `Bearer ${key}` } });
    }
    const expectations: string[] = [];
    for (const r of orgRoutes) {
      const permission = r.rules.permission;
      if (!permission) continue;
      for (const p of principals) {
        const allowed = rolePermissions[p.role].has(permission);
        const res = await h.inject({
          method: r.method as "GET",
          url: fillPath(r.url, missingParams),
          headers: p.headers,
          ...(bodies[routeKey(r)] ? { payload: bodies[routeKey(r)]?.() as object } : {}),
        });
        if (allowed) {
          expect([401, 403], `${routeKey(r)} as ${p.label} should be allowed: ${res.body}`).not.toContain(
            res.statusCode,
          );
        } else {
          expect(res.statusCode, `${routeKey(r)} as ${p.label} should be forbidden: ${res.body}`).toBe(403);
          expect(json<{ error: { code: string } }>(res).error.code).toBe("forbidden");
        }
        expectations.push(`${routeKey(r)} ${p.label} ${allowed ? "allowed" : "forbidden"}`);
      }
    }
    // Spot-check the matrix is the documented one, not vacuous.
    expect(expectations).toContain("POST /api/v1/prompts viewer session forbidden");
    expect(expectations).toContain("POST /api/v1/prompts member session allowed");
    expect(expectations).toContain("POST /api/v1/api-keys member session forbidden");
    expect(expectations).toContain("POST /api/v1/api-keys admin session allowed");
    expect(expectations).toContain("POST /api/v1/members admin session forbidden");
    expect(expectations).toContain("POST /api/v1/members owner session allowed");
    expect(expectations).toContain("GET /api/v1/audit-logs member-scoped key forbidden");
  });

  it("refuses every non-public route without credentials", async () => {
    for (const r of routes.filter((x) => x.rules.auth !== "public")) {
      const res = await h.inject({
        method: r.method as "GET",
        url: fillPath(r.url, missingParams),
        ...(bodies[routeKey(r)] ? { payload: bodies[routeKey(r)]?.() as object } : {}),
      });
      expect(res.statusCode, `${routeKey(r)} without credentials`).toBe(401);
    }
  });
});
