import type { StepRunRow, StepRunStatus, WorkflowRow, WorkflowRunRow } from "../../lib/db-types.ts";
import { formatCost, parseCost } from "../../lib/money.ts";
import { dependencies, levels } from "./dag.ts";
import type { Definition, InputValue } from "./schemas.ts";

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d ? iso(d) : null);
/** Normalised exact decimal string ("0.0000033"), whatever scale the database returned. */
const cost = (v: string | null | undefined) => formatCost(parseCost(v ?? "0"));

type ErrorInfo = { code: string; message: string; step?: string };

export const workflowView = (w: WorkflowRow) => ({
  id: w.id,
  name: w.name,
  description: w.description,
  definition: w.definition as Definition,
  version: w.version,
  created_by_user_id: w.created_by_user_id,
  created_at: iso(w.created_at),
  updated_at: iso(w.updated_at),
});

export interface RunTotals {
  tokens_input: string | number | null;
  tokens_output: string | number | null;
  cost_usd: string | null;
}

export const runView = (r: WorkflowRunRow, t: RunTotals | undefined) => {
  const input = Number(t?.tokens_input ?? 0);
  const output = Number(t?.tokens_output ?? 0);
  return {
    id: r.id,
    workflow_id: r.workflow_id,
    workflow_version: r.workflow_version,
    status: r.status,
    inputs: r.inputs as Record<string, InputValue>,
    output: r.output as string | Record<string, string> | null,
    error: r.error as ErrorInfo | null,
    job_id: r.job_id,
    cancel_requested: r.cancel_requested,
    usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
    cost_usd: cost(t?.cost_usd),
    created_by_user_id: r.created_by_user_id,
    created_by_api_key_id: r.created_by_api_key_id,
    created_at: iso(r.created_at),
    started_at: isoOrNull(r.started_at),
    finished_at: isoOrNull(r.finished_at),
  };
};

/** The run with every step (in definition order) and the DAG, for the console to draw. */
export function runDetail(r: WorkflowRunRow, steps: StepRunRow[]) {
  const def = r.definition as Definition;
  const deps = dependencies(def);
  const ids = def.steps.map((s) => s.id);
  const level = levels(ids, deps);
  const byStep = new Map(steps.map((s) => [s.step_id, s]));
  let input = 0;
  let output = 0;
  let pico = 0n;
  const stepViews = def.steps.map((step) => {
    const s = byStep.get(step.id);
    input += s?.tokens_input ?? 0;
    output += s?.tokens_output ?? 0;
    pico += parseCost(s?.cost_usd ?? "0");
    return {
      step_id: step.id,
      type: step.type,
      status: (s?.status ?? "pending") as StepRunStatus,
      depends_on: deps.get(step.id) ?? [],
      attempts: s?.attempts ?? 0,
      output: s?.output ?? null,
      error: (s?.error ?? null) as ErrorInfo | null,
      execution_id: s?.execution_id ?? null,
      latency_ms: s?.latency_ms ?? null,
      usage: {
        input_tokens: s?.tokens_input ?? 0,
        output_tokens: s?.tokens_output ?? 0,
        total_tokens: (s?.tokens_input ?? 0) + (s?.tokens_output ?? 0),
      },
      cost_usd: cost(s?.cost_usd),
      started_at: isoOrNull(s?.started_at ?? null),
      finished_at: isoOrNull(s?.finished_at ?? null),
    };
  });
  return {
    ...runView(r, { tokens_input: input, tokens_output: output, cost_usd: formatCost(pico) }),
    definition: def,
    steps: stepViews,
    graph: {
      nodes: def.steps.map((step, i) => ({
        id: step.id,
        type: step.type,
        label: step.type === "prompt" ? `prompt ${step.prompt_id}` : step.op,
        status: stepViews[i]?.status ?? "pending",
        level: level.get(step.id) ?? 0,
      })),
      edges: def.steps.flatMap((step) => (deps.get(step.id) ?? []).map((from) => ({ from, to: step.id }))),
    },
  };
}

export type RunDetail = ReturnType<typeof runDetail>;
