import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  skipReason,
  startJobRunner,
  type TestOrg,
  waitFor,
} from "../../../test/helpers/harness.ts";
import { formatCost, parseCost } from "../../lib/money.ts";
import type { ActorSnapshot } from "../auth/service.ts";
import { ctxForJob } from "../auth/service.ts";
import { runModelCall } from "../executions/pipeline.ts";
import { promptCall } from "../executions/service.ts";
import type { JobContext } from "../jobs/runner.ts";
import { getJob } from "../jobs/service.ts";
import { workflowJobHandlers } from "./jobs.ts";
import type { RunDetail } from "./views.ts";

type Headers = Record<string, string>;
type ErrorBody = { error: { code: string; message: string; details?: Array<Record<string, unknown>> } };
interface Workflow {
  id: string;
  name: string;
  version: number;
  definition: Record<string, unknown>;
}

/** Prompt-step latency on mock models; long enough that two parallel steps visibly overlap. */
const LATENCY_MS = 300;

async function createPrompt(h: Harness, headers: Headers, name: string, text: string): Promise<string> {
  const res = await h.inject({
    method: "POST",
    url: "/api/v1/prompts",
    headers,
    payload: { name, version: { model: "mock/echo", messages: [{ role: "user", content: text }] } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
}

const createWorkflow = (h: Harness, headers: Headers, body: Record<string, unknown>) =>
  h.inject({ method: "POST", url: "/api/v1/workflows", headers, payload: body });

async function mustCreateWorkflow(h: Harness, headers: Headers, body: Record<string, unknown>) {
  const res = await createWorkflow(h, headers, body);
  expect(res.statusCode, res.body).toBe(201);
  return json<Workflow>(res);
}

const execute = (h: Harness, headers: Headers, id: string, body: Record<string, unknown> = {}) =>
  h.inject({ method: "POST", url: `/api/v1/workflows/${id}/execute`, headers, payload: body });

async function getRun(h: Harness, headers: Headers, runId: string): Promise<RunDetail> {
  const res = await h.inject({ method: "GET", url: `/api/v1/workflows/runs/${runId}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return json<RunDetail>(res);
}

const finished = (h: Harness, headers: Headers, runId: string) =>
  waitFor(async () => {
    const run = await getRun(h, headers, runId);
    return ["succeeded", "failed", "cancelled"].includes(run.status) ? run : null;
  });

const stepOf = (run: RunDetail, id: string) => {
  const s = run.steps.find((x) => x.step_id === id);
  if (!s) throw new Error(`no step ${id}`);
  return s;
};

function executionsOf(h: Harness, runId: string) {
  return h.deps.db.selectFrom("executions").selectAll().where("run_id", "=", runId).execute();
}

describe.skipIf(skipReason)("workflows", () => {
  let h: Harness;
  let org: TestOrg;
  let summarize: string;
  let critique: string;

  beforeAll(async () => {
    h = await createHarness({ LECTERN_MOCK_LATENCY_MS: String(LATENCY_MS) });
    startJobRunner(h);
    org = await createOrg(h);
    summarize = await createPrompt(h, org.key, "summarize", "Summarize {{topic}}");
    critique = await createPrompt(h, org.key, "critique", "Critique {{topic}} in a {{tone}} tone");
  });
  afterAll(async () => h?.close());

  /** Two prompt steps in parallel on the same input, joined by a transform. */
  const diamond = () => ({
    inputs: [{ name: "topic" }, { name: "tone", default: "kind" }],
    steps: [
      { id: "summary", type: "prompt", prompt_id: summarize, variables: { topic: "{{inputs.topic}}" } },
      {
        id: "critique",
        type: "prompt",
        prompt_id: critique,
        version: 1,
        variables: { topic: "{{ inputs.topic }}", tone: "{{inputs.tone}}" },
      },
      {
        id: "join",
        type: "transform",
        op: "template",
        template: "S=[{{steps.summary.output}}] C=[{{steps.critique.output}}]",
      },
    ],
    output: { report: "{{steps.join.output}}", loud: "{{steps.summary.output}}" },
  });

  it("creates, reads, lists, updates (version + 1) and deletes a workflow", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "crud", description: "d", definition: diamond() });
    expect(w.id).toMatch(/^wf_/);
    expect(w.version).toBe(1);
    expect(w.definition).toMatchObject({ failure_policy: "fail_fast", steps: [{ id: "summary" }, {}, {}] });
    const got = await h.inject({ method: "GET", url: `/api/v1/workflows/${w.id}`, headers: org.key });
    expect(json<Workflow>(got).name).toBe("crud");
    const list = json<{ data: Workflow[] }>(
      await h.inject({ method: "GET", url: "/api/v1/workflows", headers: org.key }),
    );
    expect(list.data.map((x) => x.id)).toContain(w.id);

    const put = await h.inject({
      method: "PUT",
      url: `/api/v1/workflows/${w.id}`,
      headers: org.key,
      payload: { name: "crud-renamed", definition: { ...diamond(), failure_policy: "continue" } },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(json<Workflow>(put)).toMatchObject({ name: "crud-renamed", version: 2, description: "" });

    expect(
      (await createWorkflow(h, org.key, { name: "crud-renamed", definition: diamond() })).statusCode,
    ).toBe(409);

    const other = await createOrg(h);
    for (const [method, url] of [
      ["GET", `/api/v1/workflows/${w.id}`],
      ["DELETE", `/api/v1/workflows/${w.id}`],
      ["GET", `/api/v1/workflows/${w.id}/runs`],
    ] as const) {
      expect((await h.inject({ method, url, headers: other.key })).statusCode, `${method} ${url}`).toBe(404);
    }
    expect(
      (await h.inject({ method: "DELETE", url: `/api/v1/workflows/${w.id}`, headers: org.key })).statusCode,
    ).toBe(204);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/workflows/${w.id}`, headers: org.key })).statusCode,
    ).toBe(404);
  });

  it("rejects bad definitions with a 400 that names the step", async () => {
    const cases: Array<{ definition: unknown; step: string | null; message: RegExp }> = [
      {
        definition: {
          steps: [
            { id: "a", type: "transform", op: "trim", input: "{{steps.b.output}}" },
            { id: "b", type: "transform", op: "trim", input: "{{steps.a.output}}" },
          ],
          output: "{{steps.b.output}}",
        },
        step: "a",
        message: /step "a": cycle: a → b → a/,
      },
      {
        definition: {
          steps: [{ id: "only", type: "transform", op: "trim", input: "{{steps.nope.output}} {{inputs.x}}" }],
          output: "{{steps.only.output}}",
        },
        step: "only",
        message: /step "only": unknown step "nope" \(and 1 more problem\)/,
      },
      {
        definition: {
          inputs: [{ name: "topic" }],
          steps: [
            { id: "crit", type: "prompt", prompt_id: critique, variables: { topic: "{{inputs.topic}}" } },
          ],
          output: "{{steps.crit.output}}",
        },
        step: "crit",
        message: /step "crit": missing variables for prompt pmt_\w+ version 1: tone/,
      },
      {
        definition: {
          steps: [{ id: "ghost", type: "prompt", prompt_id: "pmt_missing", variables: {} }],
          output: "x",
        },
        step: "ghost",
        message: /step "ghost": prompt pmt_missing: Prompt not found/,
      },
      {
        definition: {
          steps: [{ id: "v9", type: "prompt", prompt_id: summarize, version: 9, variables: { topic: "t" } }],
          output: "x",
        },
        step: "v9",
        message: /step "v9": .*Prompt version not found/,
      },
      {
        definition: {
          steps: [
            { id: "m", type: "prompt", prompt_id: summarize, model: "mock/nope", variables: { topic: "t" } },
          ],
          output: "x",
        },
        step: "m",
        message: /step "m": Unknown model "mock\/nope"/,
      },
    ];
    for (const c of cases) {
      const res = await createWorkflow(h, org.key, {
        name: `bad-${Math.random()}`,
        definition: c.definition,
      });
      expect(res.statusCode, res.body).toBe(400);
      const body = json<ErrorBody>(res);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.message).toMatch(c.message);
      expect(body.error.details?.[0]).toMatchObject({
        step: c.step,
        path: expect.stringMatching(/^definition\./),
      });
    }
    // Shape errors come from the schema, with the field path.
    const shape = await createWorkflow(h, org.key, {
      name: "shape",
      definition: { steps: [{ id: "a", type: "prompt", prompt_id: summarize, varibles: {} }], output: "" },
    });
    expect(shape.statusCode).toBe(400);
    expect(json<ErrorBody>(shape).error.message).toMatch(/body\.definition\.steps\.0/);
    // The same checks guard an update.
    const w = await mustCreateWorkflow(h, org.key, { name: "to-break", definition: diamond() });
    const put = await h.inject({
      method: "PUT",
      url: `/api/v1/workflows/${w.id}`,
      headers: org.key,
      payload: { name: "to-break", definition: cases[0]?.definition },
    });
    expect(put.statusCode).toBe(400);
    expect(json<ErrorBody>(put).error.message).toMatch(/step "a": cycle/);
  });

  it("runs two prompt branches in parallel, joins them, and meters every step as a workflow execution", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "diamond", definition: diamond() });
    const res = await execute(h, org.key, w.id, { inputs: { topic: "tides" } });
    expect(res.statusCode, res.body).toBe(202);
    const queued = json<RunDetail>(res);
    expect(queued.id).toMatch(/^wfr_/);
    expect(["queued", "running"]).toContain(queued.status);
    expect(queued.graph.edges).toEqual([
      { from: "summary", to: "join" },
      { from: "critique", to: "join" },
    ]);
    expect(queued.graph.nodes.map((n) => [n.id, n.level])).toEqual([
      ["summary", 0],
      ["critique", 0],
      ["join", 1],
    ]);

    const run = await finished(h, org.key, queued.id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.inputs).toEqual({ topic: "tides", tone: "kind" });
    expect(run.output).toEqual({
      report: "S=[Echo: Summarize tides] C=[Echo: Critique tides in a kind tone]",
      loud: "Echo: Summarize tides",
    });

    // The branches overlapped: each started before the other finished.
    const a = stepOf(run, "summary");
    const b = stepOf(run, "critique");
    const join = stepOf(run, "join");
    const t = (s: string | null) => new Date(s as string).getTime();
    expect(t(a.started_at)).toBeLessThan(t(b.finished_at));
    expect(t(b.started_at)).toBeLessThan(t(a.finished_at));
    expect(a.latency_ms).toBeGreaterThanOrEqual(LATENCY_MS - 20);
    expect(t(join.started_at)).toBeGreaterThanOrEqual(Math.max(t(a.finished_at), t(b.finished_at)));
    expect(join).toMatchObject({ status: "succeeded", execution_id: null, cost_usd: "0", attempts: 1 });

    // Every prompt step is a normal execution attributed to the run; usage records sum to its cost exactly.
    const execs = await executionsOf(h, run.id);
    expect(execs.map((e) => e.id).sort()).toEqual([a.execution_id, b.execution_id].sort());
    for (const e of execs)
      expect(e).toMatchObject({ source: "workflow", run_id: run.id, status: "succeeded" });
    const usage = await h.deps.db
      .selectFrom("usage_records")
      .selectAll()
      .where(
        "execution_id",
        "in",
        execs.map((e) => e.id),
      )
      .execute();
    expect(usage).toHaveLength(2);
    const sum = usage.reduce((acc, u) => acc + parseCost(u.cost_usd), 0n);
    expect(sum).toBeGreaterThan(0n);
    expect(run.cost_usd).toBe(formatCost(sum));
    expect(parseCost(a.cost_usd) + parseCost(b.cost_usd)).toBe(sum);
    expect(run.usage.input_tokens).toBe(usage.reduce((n, u) => n + u.tokens_input, 0));

    const listed = await h.inject({
      method: "GET",
      url: `/api/v1/executions?run_id=${run.id}&source=workflow`,
      headers: org.key,
    });
    expect(json<{ data: unknown[] }>(listed).data).toHaveLength(2);
    const runs = json<{ data: Array<{ id: string; cost_usd: string }> }>(
      await h.inject({ method: "GET", url: `/api/v1/workflows/${w.id}/runs`, headers: org.key }),
    );
    expect(runs.data).toEqual([expect.objectContaining({ id: run.id, cost_usd: run.cost_usd })]);

    // Tenant isolation: another org sees none of it.
    const other = await createOrg(h);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/workflows/runs/${run.id}`, headers: other.key }))
        .statusCode,
    ).toBe(404);
    expect(
      (
        await h.inject({
          method: "POST",
          url: `/api/v1/workflows/runs/${run.id}/cancel`,
          headers: other.key,
          payload: {},
        })
      ).statusCode,
    ).toBe(404);
  });

  it("wait=true answers 200 with the finished run and its output; a short timeout answers 202", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "waiting", definition: diamond() });
    const res = await execute(h, org.key, w.id, { inputs: { topic: "moons", tone: "dry" }, wait: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<RunDetail>(res)).toMatchObject({
      status: "succeeded",
      output: { report: "S=[Echo: Summarize moons] C=[Echo: Critique moons in a dry tone]" },
    });
    const short = await execute(h, org.key, w.id, { inputs: { topic: "x" }, wait: true, timeout_ms: 50 });
    expect(short.statusCode, short.body).toBe(202);
    await finished(h, org.key, json<RunDetail>(short).id);
  });

  it("refuses missing and unknown inputs with a 400", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "inputs", definition: diamond() });
    const missing = await execute(h, org.key, w.id, { inputs: {} });
    expect(missing.statusCode).toBe(400);
    expect(json<ErrorBody>(missing).error).toMatchObject({
      code: "validation_failed",
      message: 'Invalid inputs: input "topic" is required',
      details: [{ step: null, path: "body.inputs.topic" }],
    });
    const unknown = await execute(h, org.key, w.id, { inputs: { topic: "t", topik: "t" } });
    expect(json<ErrorBody>(unknown).error.message).toMatch(/unknown input "topik"/);
  });

  /** bad fails at once; x → y is an independent branch; after depends on bad. */
  const failing = (policy: "fail_fast" | "continue") => ({
    inputs: [{ name: "topic" }],
    failure_policy: policy,
    steps: [
      {
        id: "bad",
        type: "prompt",
        prompt_id: summarize,
        model: "mock/error",
        variables: { topic: "{{inputs.topic}}" },
      },
      { id: "after", type: "transform", op: "uppercase", input: "{{steps.bad.output}}" },
      { id: "x", type: "prompt", prompt_id: summarize, variables: { topic: "{{inputs.topic}}" } },
      { id: "y", type: "prompt", prompt_id: summarize, variables: { topic: "{{steps.x.output}}" } },
    ],
    output: "{{steps.y.output}} {{steps.after.output}}",
  });

  it("fail_fast: a failed step fails the run and skips what has not started", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "ff", definition: failing("fail_fast") });
    const run = await finished(
      h,
      org.key,
      json<RunDetail>(await execute(h, org.key, w.id, { inputs: { topic: "t" } })).id,
    );
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "step_failed", step: "bad" });
    expect(run.error?.message).toMatch(/^step "bad" failed: The provider \(mock\) failed/);
    expect(run.output).toBeNull();
    expect(stepOf(run, "bad")).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { code: "provider_error" },
    });
    expect(stepOf(run, "bad").execution_id).toMatch(/^exe_/);
    // x was already in flight: it finishes (and is billed); y never starts.
    expect(stepOf(run, "x").status).toBe("succeeded");
    expect(stepOf(run, "y").status).toBe("skipped");
    expect(stepOf(run, "after").status).toBe("skipped");
    expect((await executionsOf(h, run.id)).map((e) => e.status).sort()).toEqual(["failed", "succeeded"]);
  });

  it("continue: the independent branch runs to the end; the run still fails", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "cont", definition: failing("continue") });
    const run = await finished(
      h,
      org.key,
      json<RunDetail>(await execute(h, org.key, w.id, { inputs: { topic: "t" } })).id,
    );
    expect(run.status).toBe("failed");
    expect(stepOf(run, "bad").status).toBe("failed");
    expect(stepOf(run, "after").status).toBe("skipped");
    expect(stepOf(run, "x").status).toBe("succeeded");
    expect(stepOf(run, "y")).toMatchObject({
      status: "succeeded",
      output: "Echo: Summarize Echo: Summarize t",
    });
    expect(await executionsOf(h, run.id)).toHaveLength(3);
  });

  it("retries a failing prompt step per its policy, one execution per attempt", async () => {
    const w = await mustCreateWorkflow(h, org.key, {
      name: "retry",
      definition: {
        steps: [
          {
            id: "flaky",
            type: "prompt",
            prompt_id: summarize,
            model: "mock/error",
            variables: { topic: "t" },
            retry: { max_attempts: 3, backoff_ms: 10 },
          },
        ],
        output: "{{steps.flaky.output}}",
      },
    });
    const run = await finished(h, org.key, json<RunDetail>(await execute(h, org.key, w.id)).id);
    expect(run.status).toBe("failed");
    const flaky = stepOf(run, "flaky");
    expect(flaky).toMatchObject({ status: "failed", attempts: 3 });
    const execs = await executionsOf(h, run.id);
    expect(execs.map((e) => e.idempotency_key).sort()).toEqual(
      [1, 2, 3].map((n) => `wf:${run.id}:flaky:${n}`),
    );
    expect(flaky.execution_id).toBe(execs.find((e) => e.idempotency_key?.endsWith(":3"))?.id);
  });

  it("cancels a running run, shows it in the active-runs gauge meanwhile, and refuses to delete it while active", async () => {
    const w = await mustCreateWorkflow(h, org.key, {
      name: "slow",
      definition: {
        steps: [
          {
            id: "first",
            type: "prompt",
            prompt_id: summarize,
            model: "mock/slow",
            variables: { topic: "t" },
          },
          {
            id: "second",
            type: "prompt",
            prompt_id: summarize,
            variables: { topic: "{{steps.first.output}}" },
          },
        ],
        output: "{{steps.second.output}}",
      },
    });
    const { id } = json<RunDetail>(await execute(h, org.key, w.id));
    await waitFor(async () => stepOf(await getRun(h, org.key, id), "first").status === "running");

    const metrics = await h.inject({ method: "GET", url: "/metrics", headers: org.owner.session });
    expect(metrics.statusCode).toBe(200);
    const gauge = /^lectern_workflows_active (\d+)/m.exec(metrics.body);
    expect(Number(gauge?.[1])).toBeGreaterThanOrEqual(1);

    const del = await h.inject({ method: "DELETE", url: `/api/v1/workflows/${w.id}`, headers: org.key });
    expect(del.statusCode).toBe(409);

    const cancel = await h.inject({
      method: "POST",
      url: `/api/v1/workflows/runs/${id}/cancel`,
      headers: org.key,
    });
    expect(cancel.statusCode, cancel.body).toBe(202);
    expect(json<RunDetail>(cancel).cancel_requested).toBe(true);
    const run = await finished(h, org.key, id);
    expect(run.status).toBe("cancelled");
    expect(stepOf(run, "second").status).toBe("cancelled");
    // The call in flight finished and was recorded; the next step never ran.
    expect((await executionsOf(h, id)).map((e) => e.idempotency_key)).toEqual([`wf:${id}:first:1`]);
    expect((await getJob(h.deps, run.job_id as string))?.status).toBe("cancelled");

    const again = await h.inject({
      method: "POST",
      url: `/api/v1/workflows/runs/${id}/cancel`,
      headers: org.key,
    });
    expect(again.statusCode).toBe(409);
    const { countActiveRuns } = await import("./service.ts");
    await waitFor(async () => (await countActiveRuns(h.deps.db)) === 0);
    expect(
      (await h.inject({ method: "DELETE", url: `/api/v1/workflows/${w.id}`, headers: org.key })).statusCode,
    ).toBe(204);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/workflows/runs/${id}`, headers: org.key })).statusCode,
    ).toBe(404);
  });

  it("serves /workflows/runs/{runId} and /workflows/{workflowId} side by side", async () => {
    const res = await h.inject({
      method: "GET",
      url: "/api/v1/workflows/runs/wfr_missing",
      headers: org.key,
    });
    expect(json<ErrorBody>(res).error.message).toBe("Workflow run not found");
    const wf = await h.inject({ method: "GET", url: "/api/v1/workflows/runs", headers: org.key });
    expect(wf.statusCode).toBe(404);
  });
});

describe.skipIf(skipReason)("workflow runs without a worker (crash and queue semantics)", () => {
  let h: Harness;
  let org: TestOrg;
  let promptId: string;
  beforeAll(async () => {
    h = await createHarness();
    org = await createOrg(h);
    promptId = await createPrompt(h, org.key, "p", "Say {{topic}}");
  });
  afterAll(async () => h?.close());

  const chain = () => ({
    inputs: [{ name: "topic" }],
    steps: [
      { id: "a", type: "prompt", prompt_id: promptId, variables: { topic: "{{inputs.topic}}" } },
      { id: "b", type: "prompt", prompt_id: promptId, variables: { topic: "{{steps.a.output}}" } },
    ],
    output: "{{steps.b.output}}",
  });

  const jobContext = async (jobId: string): Promise<JobContext> => ({
    job: (await getJob(h.deps, jobId)) as NonNullable<Awaited<ReturnType<typeof getJob>>>,
    signal: new AbortController().signal,
    abortReason: () => null,
    progress: async () => {},
  });

  it("resumes after a crash without executing or billing a step twice", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "crash", definition: chain() });
    const queued = json<RunDetail>(await execute(h, org.key, w.id, { inputs: { topic: "sea" } }));
    const jobId = queued.job_id as string;
    // The worker that crashed: it marked step a running (attempt 1) and its model call was recorded, then died.
    const { actor } = (await jobContext(jobId)).job.payload as { actor: ActorSnapshot };
    const ctx = await ctxForJob(h.deps, actor, jobId);
    const base = await promptCall(h.deps, ctx, promptId, { version: 1, variables: { topic: "sea" } });
    const made = await runModelCall(h.deps, ctx, {
      ...base,
      source: "workflow",
      idempotencyKey: `wf:${queued.id}:a:1`,
      runId: queued.id,
    });
    await h.deps.db
      .updateTable("workflow_runs")
      .set({ status: "running", started_at: new Date() })
      .where("id", "=", queued.id)
      .execute();
    await h.deps.db
      .updateTable("workflow_step_runs")
      .set({ status: "running", attempts: 1, started_at: new Date() })
      .where("run_id", "=", queued.id)
      .where("step_id", "=", "a")
      .execute();

    // The job runs again (another worker, after the lease lapsed).
    await workflowJobHandlers.workflow_run?.(h.deps, await jobContext(jobId));

    const run = await getRun(h, org.key, queued.id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.output).toBe("Echo: Say Echo: Say sea");
    expect(stepOf(run, "a")).toMatchObject({ status: "succeeded", attempts: 1, execution_id: made.id });
    const execs = await executionsOf(h, queued.id);
    expect(execs.map((e) => e.idempotency_key).sort()).toEqual([
      `wf:${queued.id}:a:1`,
      `wf:${queued.id}:b:1`,
    ]);
    const usage = await h.deps.db
      .selectFrom("usage_records")
      .selectAll()
      .where(
        "execution_id",
        "in",
        execs.map((e) => e.id),
      )
      .execute();
    expect(usage).toHaveLength(2);
    expect(run.cost_usd).toBe(formatCost(usage.reduce((acc, u) => acc + parseCost(u.cost_usd), 0n)));

    // A second delivery of a finished run does nothing.
    await workflowJobHandlers.workflow_run?.(h.deps, await jobContext(jobId));
    expect(await executionsOf(h, queued.id)).toHaveLength(2);
  });

  it("cancels a queued run at once", async () => {
    const w = await mustCreateWorkflow(h, org.key, { name: "queued", definition: chain() });
    const queued = json<RunDetail>(await execute(h, org.key, w.id, { inputs: { topic: "x" } }));
    expect(queued.status).toBe("queued");
    const res = await h.inject({
      method: "POST",
      url: `/api/v1/workflows/runs/${queued.id}/cancel`,
      headers: org.key,
    });
    expect(res.statusCode, res.body).toBe(200);
    const run = json<RunDetail>(res);
    expect(run.status).toBe("cancelled");
    expect(run.steps.map((s) => s.status)).toEqual(["cancelled", "cancelled"]);
    expect((await getJob(h.deps, queued.job_id as string))?.status).toBe("cancelled");
    // Audited in the same transaction as the cancel.
    const rows = await h.deps.db
      .selectFrom("audit_logs")
      .select(["action", "resource_id"])
      .where("request_id", "=", String(res.headers["x-request-id"]))
      .execute();
    expect(rows).toEqual([{ action: "workflow_run.cancel", resource_id: queued.id }]);
  });
});
