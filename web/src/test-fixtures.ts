/** Response bodies shared by the evaluation and workflow page tests, shaped as the API answers. */
import type {
  Dataset,
  EvaluationAggregate,
  EvaluationRunDetail,
  Model,
  Prompt,
  Workflow,
  WorkflowRunDetail,
} from "./api/types";

export const prompt: Prompt = {
  id: "pmt_1",
  name: "Greeter",
  description: "",
  tags: [],
  latest_version: 1,
  labels: {},
  created_by_user_id: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

export const dataset: Dataset = {
  id: "ds_1",
  name: "people",
  description: "",
  item_count: 2,
  frozen: false,
  frozen_at: null,
  copied_from_dataset_id: null,
  created_by_user_id: "usr_1",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const model = (slug: string): Model => ({
  id: `mdl_${slug}`,
  slug,
  provider: slug.split("/")[0] ?? "mock",
  upstream_model: slug,
  display_name: slug,
  scope: "global",
  credential_id: null,
  capabilities: { vision: false, streaming: true, context_window: 8000, max_output_tokens: 1000 },
  deprecated: false,
});
export const models: Model[] = [model("mock/echo"), model("mock/lorem")];

const aggregate = (m: string, passed: number, cost: string, perItem: string): EvaluationAggregate => ({
  prompt_id: "pmt_1",
  prompt_version_id: "pv_1",
  version: 1,
  model: m,
  items: 2,
  completed: 2,
  failed: 0,
  passed,
  pass_rate: passed / 2,
  mean_score: passed / 2,
  evaluators: [{ name: "exact_match", type: "exact_match", mean_score: passed / 2, pass_rate: passed / 2 }],
  latency_ms: { p50: 203, p95: 220 },
  tokens: { input: 12, output: 6 },
  cost_usd: { model: cost, judge: "0", total: cost, per_item: perItem },
});

export function evaluationRun(state: "running" | "succeeded"): EvaluationRunDetail {
  const done = state === "succeeded";
  return {
    id: "evr_1",
    name: "echo vs lorem",
    status: state,
    dataset_id: "ds_1",
    job_id: "job_1",
    targets: [{ prompt_id: "pmt_1", prompt_version_id: "pv_1", version: 1 }],
    models: ["mock/echo", "mock/lorem"],
    evaluators: [{ name: "exact_match", type: "exact_match", threshold: 1 }],
    concurrency: 4,
    progress: { done: done ? 4 : 1, total: 4, failed: 0 },
    error: null,
    created_by_user_id: "usr_1",
    created_by_api_key_id: null,
    created_at: "2026-01-01T00:00:00Z",
    started_at: "2026-01-01T00:00:00Z",
    finished_at: done ? "2026-01-01T00:00:01Z" : null,
    cost_usd: done
      ? { model: "0.000414", judge: "0", total: "0.000414" }
      : { model: "0.0000075", judge: "0", total: "0.0000075" },
    aggregates: done
      ? [
          aggregate("mock/echo", 2, "0.000015", "0.0000075"),
          aggregate("mock/lorem", 0, "0.000399", "0.0001995"),
        ]
      : [],
  };
}

export const workflow: Workflow = {
  id: "wf_1",
  name: "diamond",
  description: "Two in parallel, then a join",
  definition: {
    inputs: [{ name: "name" }],
    steps: [
      { id: "greet", type: "prompt", prompt_id: "pmt_1", variables: { name: "{{inputs.name}}" } },
      { id: "shout", type: "transform", op: "uppercase", input: "{{inputs.name}}" },
      {
        id: "join",
        type: "transform",
        op: "template",
        template: "{{steps.greet.output}} / {{steps.shout.output}}",
      },
    ],
    output: "{{steps.join.output}}",
    failure_policy: "fail_fast",
  },
  version: 1,
  created_by_user_id: "usr_1",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const usage = (i: number, o: number) => ({ input_tokens: i, output_tokens: o, total_tokens: i + o });

export function workflowRun(state: "running" | "succeeded"): WorkflowRunDetail {
  const done = state === "succeeded";
  const step = (id: string, type: "prompt" | "transform", deps: string[], output: string, cost = "0") => ({
    step_id: id,
    type,
    status: done || deps.length === 0 ? ("succeeded" as const) : ("pending" as const),
    depends_on: deps,
    attempts: done || deps.length === 0 ? 1 : 0,
    output: done || deps.length === 0 ? output : null,
    error: null,
    execution_id: type === "prompt" ? "exe_1" : null,
    latency_ms: 12,
    usage: type === "prompt" ? usage(6, 3) : usage(0, 0),
    cost_usd: cost,
    started_at: "2026-01-01T00:00:00Z",
    finished_at: "2026-01-01T00:00:01Z",
  });
  const steps = [
    step("greet", "prompt", [], "Echo: Hi Ada", "0.0000075"),
    step("shout", "transform", [], "ADA"),
    step("join", "transform", ["greet", "shout"], "Echo: Hi Ada / ADA"),
  ];
  return {
    id: "wfr_1",
    workflow_id: "wf_1",
    workflow_version: 1,
    status: state,
    inputs: { name: "Ada" },
    output: done ? "Echo: Hi Ada / ADA" : null,
    error: null,
    job_id: "job_2",
    cancel_requested: false,
    usage: usage(6, 3),
    cost_usd: "0.0000075",
    created_by_user_id: "usr_1",
    created_by_api_key_id: null,
    created_at: "2026-01-01T00:00:00Z",
    started_at: "2026-01-01T00:00:00Z",
    finished_at: done ? "2026-01-01T00:00:01Z" : null,
    definition: workflow.definition,
    steps,
    graph: {
      nodes: steps.map((s, i) => ({
        id: s.step_id,
        type: s.type,
        label: s.type === "prompt" ? "prompt pmt_1" : (["", "uppercase", "template"][i] ?? ""),
        status: s.status,
        level: s.step_id === "join" ? 1 : 0,
      })),
      edges: [
        { from: "greet", to: "join" },
        { from: "shout", to: "join" },
      ],
    },
  };
}
