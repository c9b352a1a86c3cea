import type { Deps } from "../../deps.ts";
import type { StepRunRow, StepRunStatus, WorkflowRunRow } from "../../lib/db-types.ts";
import { AppError, type ErrorCode } from "../../lib/errors.ts";
import type { Ctx } from "../auth/actor.ts";
import { type ActorSnapshot, ctxForJob } from "../auth/service.ts";
import { runModelCall } from "../executions/pipeline.ts";
import { promptCall } from "../executions/service.ts";
import { type JobContext, PermanentJobError } from "../jobs/runner.ts";
import {
  dependencies,
  nextActions,
  RenderError,
  renderOutput,
  renderTemplate,
  runTransform,
  type Scope,
} from "./dag.ts";
import * as q from "./queries.ts";
import type { Definition, PromptStep, Step } from "./schemas.ts";

/**
 * Runs one workflow run inside its job. Durable by construction: every step's state is in
 * workflow_step_runs, so a handler that starts again (after a crash, a shutdown or a job retry) loads it
 * and carries on. Steps that succeeded are not run again; a step found `running` re-runs with the same
 * attempt number, so its idempotency key (wf:{run}:{step}:{attempt}) returns the execution already made
 * instead of calling (and billing) the provider twice.
 */
export interface RunPayload {
  runId: string;
  actor: ActorSnapshot;
}

/** Steps started at once in one run; the rest wait for a slot. */
export const MAX_PARALLEL_STEPS = 8;
const MAX_BACKOFF_MS = 60_000;
/** Provider trouble that a later attempt may not meet; anything else (missing variables, a deleted prompt) would fail again. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  "provider_error",
  "provider_unavailable",
  "provider_timeout",
  "rate_limited",
]);

interface StepError {
  code: string;
  message: string;
  /** on a run's error: the step that failed it */
  step?: string;
}

/** A step attempt that failed in a known way: recorded on the step, never retried by the job. */
class StepFailure extends Error {
  readonly code: string;
  readonly executionId: string | null;
  constructor(code: string, message: string, executionId: string | null) {
    super(message);
    this.code = code;
    this.executionId = executionId;
  }
}

function asStepFailure(err: unknown): StepFailure | null {
  if (err instanceof StepFailure) return err;
  if (err instanceof RenderError) return new StepFailure("render_failed", err.message, null);
  if (err instanceof AppError) {
    const executionId = (err.details as { execution_id?: unknown } | undefined)?.execution_id;
    return new StepFailure(err.code, err.message, typeof executionId === "string" ? executionId : null);
  }
  return null;
}

interface State {
  deps: Deps;
  ctx: Ctx;
  job: JobContext;
  runId: string;
  def: Definition;
  ids: string[];
  graph: Map<string, string[]>;
  status: Map<string, StepRunStatus>;
  rows: Map<string, StepRunRow>;
  errors: Map<string, StepError>;
  scope: Scope;
  /** fail_fast saw a failure: steps in flight finish their current call but do not retry */
  stopRetries: boolean;
  /** an unexpected error (the database, a bug): the job fails and a later attempt resumes */
  fatal: unknown;
}

const json = (v: unknown) => JSON.stringify(v);

export async function executeRun(deps: Deps, job: JobContext, payload: RunPayload): Promise<void> {
  const orgId = payload.actor.orgId;
  const run = await q.getRun(deps.db, orgId, payload.runId);
  // Deleted, or already ended (cancelled while queued, or finished before a crash lost the job's own update).
  if (!run || !["queued", "running"].includes(run.status)) return;
  let ctx: Ctx;
  try {
    ctx = await ctxForJob(deps, payload.actor, job.job.id);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // The member left or the key was revoked: nothing this run does can succeed any more.
    await endRun(deps, run.id, "failed", { code: err.code, message: err.message });
    throw new PermanentJobError(err.message);
  }
  try {
    await q.markRunRunning(deps.db, run.id, deps.clock.now());
    await schedule(await loadState(deps, ctx, job, run));
  } catch (err) {
    // On the job's last attempt the run must end too, or it would count as active for ever.
    if (!job.signal.aborted && job.job.attempts >= job.job.max_attempts) {
      await endRun(deps, run.id, "failed", { code: "internal", message: "The run failed unexpectedly" });
    }
    throw err;
  }
}

async function endRun(deps: Deps, runId: string, status: "failed" | "cancelled", error: StepError) {
  const at = deps.clock.now();
  await q.closeOpenSteps(deps.db, runId, status === "cancelled" ? "cancelled" : "skipped", at);
  await q.finishRun(deps.db, runId, { status, output: null, error: json(error), at });
}

async function loadState(deps: Deps, ctx: Ctx, job: JobContext, run: WorkflowRunRow): Promise<State> {
  const def = run.definition as Definition;
  const rows = new Map((await q.stepRunsOf(deps.db, run.organization_id, run.id)).map((r) => [r.step_id, r]));
  const status = new Map<string, StepRunStatus>();
  const outputs: Record<string, string> = {};
  const errors = new Map<string, StepError>();
  for (const step of def.steps) {
    const row = rows.get(step.id);
    // A step left running by an interrupted worker is scheduled again (with its attempt number kept).
    const s = !row || row.status === "running" ? "pending" : row.status;
    status.set(step.id, s);
    if (s === "succeeded") outputs[step.id] = row?.output ?? "";
    if (s === "failed" && row?.error) errors.set(step.id, row.error as StepError);
  }
  return {
    deps,
    ctx,
    job,
    runId: run.id,
    def,
    ids: def.steps.map((s) => s.id),
    graph: dependencies(def),
    status,
    rows,
    errors,
    scope: { inputs: run.inputs as Scope["inputs"], outputs },
    stopRetries: false,
    fatal: null,
  };
}

/** Start every step whose dependencies succeeded (up to the parallel limit), until none is left to start. */
async function schedule(s: State): Promise<void> {
  const { deps, job } = s;
  const inflight = new Map<string, Promise<void>>();
  const aborted = new Promise<void>((resolve) => {
    if (job.signal.aborted) resolve();
    else job.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  while (!job.signal.aborted && !s.fatal) {
    const { start, skip } = nextActions(s.ids, s.graph, s.status, s.def.failure_policy);
    for (const id of skip) {
      s.status.set(id, "skipped");
      await q.updateStepRun(deps.db, s.runId, id, { status: "skipped", finished_at: deps.clock.now() });
    }
    for (const id of start.slice(0, MAX_PARALLEL_STEPS - inflight.size)) {
      s.status.set(id, "running");
      inflight.set(
        id,
        runStep(s, id)
          .catch((err) => {
            s.fatal ??= err;
          })
          .finally(() => inflight.delete(id)),
      );
    }
    if (inflight.size === 0) break;
    await Promise.race([...inflight.values(), aborted]);
  }
  // A model call in flight cannot be recalled: let it finish and record what it cost.
  await Promise.all(inflight.values());
  await finish(s);
}

async function finish(s: State): Promise<void> {
  const { deps, job } = s;
  if (job.signal.aborted) {
    const why = job.abortReason();
    if (why === "cancelled") {
      await endRun(deps, s.runId, "cancelled", { code: "cancelled", message: "The run was cancelled" });
      return;
    }
    // Shutdown or a lost lease: leave the run as it is; whoever holds the job next resumes it.
    throw new Error(`workflow run interrupted (${why ?? "aborted"})`);
  }
  if (s.fatal) throw s.fatal;
  const failed = s.ids.filter((id) => s.status.get(id) === "failed");
  const first = failed[0];
  if (first) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : "";
    await endRun(deps, s.runId, "failed", {
      code: "step_failed",
      message: `step "${first}" failed${more}: ${s.errors.get(first)?.message ?? "unknown error"}`,
      step: first,
    });
    return;
  }
  let output: string | Record<string, string>;
  try {
    output = renderOutput(s.def, s.scope);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    await endRun(deps, s.runId, "failed", { code: "render_failed", message: `output: ${err.message}` });
    return;
  }
  await q.finishRun(deps.db, s.runId, {
    status: "succeeded",
    output: json(output),
    error: null,
    at: deps.clock.now(),
  });
}

async function progress(s: State) {
  const done = s.ids.filter((id) => !["pending", "running"].includes(s.status.get(id) ?? "pending")).length;
  const failed = s.ids.filter((id) => s.status.get(id) === "failed").length;
  await s.job.progress({ done, total: s.ids.length, failed }).catch(() => undefined);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** One step, through its attempts. Known failures end the step; anything else propagates (job retry). */
async function runStep(s: State, id: string): Promise<void> {
  const { deps } = s;
  const step = s.def.steps.find((x) => x.id === id) as Step;
  const row = s.rows.get(id);
  // Resuming a step that was running: the same attempt again, so its idempotency key replays the execution.
  let attempt = row?.status === "running" ? Math.max(1, row.attempts) : (row?.attempts ?? 0) + 1;
  const startedAt = row?.started_at ? new Date(row.started_at) : deps.clock.now();
  const maxAttempts = step.type === "prompt" ? (step.retry?.max_attempts ?? 1) : 1;
  for (;;) {
    await q.markStepRunning(deps.db, s.runId, id, attempt, deps.clock.now());
    try {
      const r =
        step.type === "prompt" ? await callPrompt(s, step, attempt) : { output: runTransform(step, s.scope) };
      const at = deps.clock.now();
      await q.updateStepRun(deps.db, s.runId, id, {
        status: "succeeded",
        output: r.output,
        error: null,
        latency_ms: Math.max(0, at.getTime() - startedAt.getTime()),
        finished_at: at,
        ...("execution" in r
          ? {
              execution_id: r.execution.id,
              tokens_input: r.execution.usage.input_tokens,
              tokens_output: r.execution.usage.output_tokens,
              cost_usd: r.execution.cost_usd,
            }
          : {}),
      });
      s.scope.outputs[id] = r.output;
      s.status.set(id, "succeeded");
      await progress(s);
      return;
    } catch (err) {
      const failure = asStepFailure(err);
      if (!failure) throw err;
      const retry =
        step.type === "prompt" &&
        RETRYABLE.has(failure.code as ErrorCode) &&
        attempt < maxAttempts &&
        !s.stopRetries &&
        !s.job.signal.aborted;
      if (retry) {
        const backoff = Math.min(MAX_BACKOFF_MS, (step.retry?.backoff_ms ?? 0) * 2 ** (attempt - 1));
        await sleep(backoff, s.job.signal);
        // Interrupted while waiting: the step stays running at this attempt; cancel or resume decides.
        if (s.job.signal.aborted) return;
        attempt++;
        continue;
      }
      const at = deps.clock.now();
      const error = { code: failure.code, message: failure.message };
      await q.updateStepRun(deps.db, s.runId, id, {
        status: "failed",
        error: json(error),
        execution_id: failure.executionId,
        latency_ms: Math.max(0, at.getTime() - startedAt.getTime()),
        finished_at: at,
      });
      s.errors.set(id, error);
      s.status.set(id, "failed");
      if (s.def.failure_policy === "fail_fast") s.stopRetries = true;
      await progress(s);
      return;
    }
  }
}

/** A prompt step's attempt: one metered execution, attributed to the run, keyed by step and attempt. */
async function callPrompt(s: State, step: PromptStep, attempt: number) {
  const variables = Object.fromEntries(
    Object.entries(step.variables).map(([k, t]) => [k, renderTemplate(t, s.scope)]),
  );
  const base = await promptCall(s.deps, s.ctx, step.prompt_id, {
    ...(step.version !== undefined ? { version: step.version } : {}),
    variables,
  });
  const execution = await runModelCall(s.deps, s.ctx, {
    ...base,
    source: "workflow",
    ...(step.model !== undefined ? { model: step.model } : {}),
    idempotencyKey: `wf:${s.runId}:${step.id}:${attempt}`,
    runId: s.runId,
  });
  // A replayed attempt comes back as the recorded execution, failed ones included.
  if (execution.status === "failed") {
    throw new StepFailure(
      execution.error?.code ?? "provider_error",
      execution.error?.message ?? "The model call failed",
      execution.id,
    );
  }
  return { output: execution.output ?? "", execution };
}
