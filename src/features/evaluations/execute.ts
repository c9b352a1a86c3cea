import type { Deps } from "../../deps.ts";
import type { DatasetItemRow, EvaluationRunRow } from "../../lib/db-types.ts";
import { AppError } from "../../lib/errors.ts";
import { newId } from "../../lib/ids.ts";
import { formatCost, parseCost } from "../../lib/money.ts";
import type { Ctx } from "../auth/actor.ts";
import { ctxForJob } from "../auth/service.ts";
import { type ModelCallInput, runModelCall } from "../executions/pipeline.ts";
import * as executions from "../executions/service.ts";
import type { ExecutionView } from "../executions/views.ts";
import { type JobContext, PermanentJobError } from "../jobs/runner.ts";
import * as datasets from "./datasets.ts";
import {
  type Compiled,
  compileEvaluator,
  type EvalItem,
  type Evaluator,
  type EvaluatorResult,
  evaluate,
  JUDGE_SYSTEM,
  judgeResult,
  judgeTemplate,
  judgeVariables,
} from "./evaluators.ts";
import * as q from "./queries.ts";
import type { EvaluationJobPayload, RunConfig, RunTarget, Score } from "./service.ts";

/**
 * The evaluation job: every (item × prompt version × model) cell of a run, at most `concurrency` at a time.
 *
 * Exactly once, across crashes, retries and lost leases: a cell with a result row is skipped; a cell without
 * one calls the model with the idempotency key eval:{run}:{item}:{prompt_version}:{model}, so a cell whose
 * execution was recorded before the process died gets that execution back instead of a second call and a
 * second bill. Judge calls have their own keys (…:judge:{evaluator}). Result rows are unique per cell.
 * A provider failure is a failed cell, not a failed job.
 */

/** Progress is written at most this often (and once at the end): ms */
const FLUSH_INTERVAL_MS = 250;

interface Cell {
  item: DatasetItemRow;
  target: RunTarget;
  model: string;
  base: ModelCallInput;
}

interface Env {
  deps: Deps;
  ctx: Ctx;
  run: EvaluationRunRow;
  compiled: Compiled[];
}

/** Throw to end the job: permanent (the run fails) or not (the runner retries; finished cells stay done). */
class Fatal extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean) {
    super(message);
    this.permanent = permanent;
  }
}

/**
 * An error from a model call, as a failed cell's message; rethrows what must end the job instead:
 * a revoked starter or an exhausted budget (permanent), an org rate limit that left no execution, or
 * anything that is not an AppError (a database error: retry).
 */
function callFailure(err: unknown): { message: string; executionId: string | null } {
  if (!(err instanceof AppError)) throw err;
  const executionId = (err.details as { execution_id?: string } | undefined)?.execution_id ?? null;
  if (err.code === "forbidden" || err.code === "budget_exceeded") throw new Fatal(err.message, true);
  if (err.code === "rate_limited" && !executionId) throw new Fatal(err.message, false);
  return { message: `${err.code}: ${err.message}`, executionId };
}

const failedMessage = (v: ExecutionView) =>
  v.error ? `${v.error.code}: ${v.error.message}` : "the model call failed";

async function judge(
  env: Env,
  ev: Evaluator & { type: "llm_judge" },
  item: EvalItem,
  output: string,
  cellKey: string,
): Promise<{ result: EvaluatorResult; cost: bigint }> {
  try {
    const v = await runModelCall(env.deps, env.ctx, {
      source: "evaluation",
      model: ev.model,
      messages: [
        { role: "system", content: [{ type: "text", text: JUDGE_SYSTEM }] },
        { role: "user", content: [{ type: "text", text: judgeTemplate(ev.rubric) }] },
      ],
      variables: judgeVariables(item, output),
      params: { temperature: 0 },
      idempotencyKey: `${cellKey}:judge:${ev.name}`,
      runId: env.run.id,
    });
    const cost = parseCost(v.cost_usd);
    if (v.status === "failed")
      return {
        result: {
          score: 0,
          passed: ev.threshold <= 0,
          reasoning: `the judge call failed: ${failedMessage(v)}`,
        },
        cost,
      };
    return { result: judgeResult(ev, v.output ?? ""), cost };
  } catch (err) {
    const f = callFailure(err);
    return {
      result: { score: 0, passed: ev.threshold <= 0, reasoning: `the judge call failed: ${f.message}` },
      cost: 0n,
    };
  }
}

/** One cell: the model call, the evaluators, the result row. */
async function processCell(env: Env, cell: Cell): Promise<void> {
  const { deps, ctx, run } = env;
  const key = `eval:${run.id}:${cell.item.id}:${cell.target.prompt_version_id}:${cell.model}`;
  let view: ExecutionView | null = null;
  let error: string | null = null;
  try {
    view = await runModelCall(deps, ctx, {
      ...cell.base,
      source: "evaluation",
      model: cell.model,
      variables: cell.item.variables,
      idempotencyKey: key,
      runId: run.id,
    });
    if (view.status === "failed") error = failedMessage(view);
  } catch (err) {
    const f = callFailure(err);
    error = f.message;
    if (f.executionId) view = await executions.getExecution(deps, ctx, f.executionId);
  }

  const item: EvalItem = { variables: cell.item.variables, expected: cell.item.expected };
  const scores: Score[] = [];
  let judgeCost = 0n;
  for (const c of env.compiled) {
    let r: EvaluatorResult;
    if (error !== null || !view)
      r = { score: 0, passed: false, reasoning: "no output: the model call failed" };
    else if (c.ev.type === "llm_judge") {
      const j = await judge(env, c.ev, item, view.output ?? "", key);
      judgeCost += j.cost;
      r = j.result;
    } else r = evaluate(c, view.output ?? "", item);
    scores.push({ evaluator: c.ev.name, type: c.ev.type, ...r });
  }
  const score = scores.length ? scores.reduce((s, x) => s + x.score, 0) / scores.length : 0;
  const inserted = await q.insertResult(deps.db, {
    id: newId("evaluationResult"),
    run_id: run.id,
    organization_id: run.organization_id,
    item_id: cell.item.id,
    position: cell.item.position,
    prompt_version_id: cell.target.prompt_version_id,
    model: cell.model,
    execution_id: view?.id ?? null,
    output: view?.output ?? null,
    scores: JSON.stringify(scores),
    score,
    passed: error === null && scores.every((s) => s.passed),
    latency_ms: view?.latency_ms ?? null,
    tokens_input: view?.usage.input_tokens ?? 0,
    tokens_output: view?.usage.output_tokens ?? 0,
    cost_usd: view?.cost_usd ?? "0",
    judge_cost_usd: formatCost(judgeCost),
    error,
  });
  if (inserted) deps.metrics.evaluations.items.inc({ status: error === null ? "succeeded" : "failed" });
}

async function failRun(deps: Deps, runId: string, message: string): Promise<void> {
  if (await q.finishRun(deps.db, runId, { status: "failed", error: message }))
    deps.metrics.evaluations.jobs.inc({ status: "failed" });
}

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

/** Build the cells still to do; an AppError here (a deleted prompt, a revoked key) fails the run for good. */
async function plan(deps: Deps, ctx: Ctx, run: EvaluationRunRow, config: RunConfig): Promise<Cell[]> {
  const items = await datasets.itemsOf(deps, ctx, run.dataset_id);
  const bases = new Map<string, ModelCallInput>();
  for (const t of config.targets) {
    const base = await executions.promptCall(deps, ctx, t.prompt_id, { version: t.version });
    if (base.promptVersionId !== t.prompt_version_id)
      throw new Fatal(
        `prompt ${t.prompt_id} version ${t.version} is no longer the version this run started with`,
        true,
      );
    bases.set(t.prompt_version_id, base);
  }
  const finished = await q.finishedCells(deps.db, run.id);
  const cells: Cell[] = [];
  // Item-major, so that every model and version advance together and a partial run still compares.
  for (const item of items)
    for (const target of config.targets)
      for (const model of config.models)
        if (!finished.has(q.cellKey(item.id, target.prompt_version_id, model)))
          cells.push({ item, target, model, base: bases.get(target.prompt_version_id) as ModelCallInput });
  return cells;
}

export async function executeRun(deps: Deps, job: JobContext): Promise<void> {
  const p = job.job.payload as EvaluationJobPayload;
  const run = await q.getRun(deps.db, p.org_id, p.run_id);
  if (!run) throw new PermanentJobError(`evaluation run ${p.run_id} not found`);
  if (run.status !== "queued" && run.status !== "running") return;
  const config = run.config as RunConfig;

  let ctx: Ctx;
  let cells: Cell[];
  let compiled: Compiled[];
  try {
    ctx = await ctxForJob(deps, p.actor, job.job.id);
    if (!(await q.markRunStarted(deps.db, run.organization_id, run.id))) return;
    compiled = config.evaluators.map(compileEvaluator);
    cells = await plan(deps, ctx, run, config);
  } catch (err) {
    if (err instanceof AppError || (err instanceof Fatal && err.permanent)) {
      await failRun(deps, run.id, (err as Error).message);
      throw new PermanentJobError((err as Error).message);
    }
    throw err;
  }
  const env: Env = { deps, ctx, run, compiled };

  let stop = false;
  let cancelled = false;
  let fatal: unknown = null;
  let lastFlush = 0;
  let flushing: Promise<void> | null = null;
  const flush = async (force: boolean) => {
    if (flushing) {
      if (!force) return;
      await flushing;
    }
    if (!force && Date.now() - lastFlush < FLUSH_INTERVAL_MS) return;
    lastFlush = Date.now();
    flushing = (async () => {
      const r = await q.refreshRunCounts(deps.db, run.id);
      if (!r) return;
      await job.progress({ done: r.done, total: r.total, failed: r.failed });
      // Cancelled through the API: stop now rather than at the runner's next lease renewal.
      if (r.status === "cancelled") {
        cancelled = true;
        stop = true;
      }
    })().finally(() => {
      flushing = null;
    });
    await flushing;
  };

  let next = 0;
  const worker = async () => {
    while (!stop && !job.signal.aborted && next < cells.length) {
      const cell = cells[next++] as Cell;
      try {
        await processCell(env, cell);
        await flush(false);
      } catch (err) {
        fatal ??= err;
        stop = true;
      }
    }
  };
  await flush(true);
  await Promise.all(Array.from({ length: Math.max(1, Math.min(config.concurrency, cells.length)) }, worker));
  await flush(true);

  const reason = job.abortReason();
  if (reason === "cancelled" || cancelled) {
    // Usually the cancel route ended the run (and counted it) already; this covers a cancel of the job itself.
    if (await q.finishRun(deps.db, run.id, { status: "cancelled" }))
      deps.metrics.evaluations.jobs.inc({ status: "cancelled" });
    // The runner records the job as cancelled only once its signal fires (at the next lease renewal).
    await untilAborted(job.signal);
    return;
  }
  if (reason === "shutdown" || reason === "lease_lost") return; // another worker resumes the remaining cells
  if (fatal) {
    const message = fatal instanceof Error ? fatal.message : String(fatal);
    const permanent = fatal instanceof Fatal && fatal.permanent;
    if (permanent || job.job.attempts >= job.job.max_attempts) await failRun(deps, run.id, message);
    throw permanent ? new PermanentJobError(message) : fatal;
  }
  if (await q.finishRun(deps.db, run.id, { status: "succeeded" }))
    deps.metrics.evaluations.jobs.inc({ status: "succeeded" });
}
