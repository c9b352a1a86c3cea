import type { Deps } from "../../deps.ts";
import { inTransaction } from "../../lib/db.ts";
import type { EvaluationResultRow, EvaluationRunRow, EvaluationRunStatus } from "../../lib/db-types.ts";
import { AppError, conflict, notFound } from "../../lib/errors.ts";
import { decodeCursor, encodeCursor } from "../../lib/http.ts";
import { newId } from "../../lib/ids.ts";
import { formatCost, parseCost } from "../../lib/money.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import { snapshotActor } from "../auth/service.ts";
import { cancelJob, enqueueJob, wakeRunner } from "../jobs/service.ts";
import * as models from "../models/service.ts";
import * as prompts from "../prompts/service.ts";
import { extractVariables } from "../prompts/template.ts";
import { compareCells } from "./compare.ts";
import * as datasets from "./datasets.ts";
import {
  compileEvaluator,
  type Evaluator,
  EvaluatorSpecError,
  firstNumber,
  JUDGE_VARIABLES,
  judgeTemplate,
  resolveEvaluators,
} from "./evaluators.ts";
import * as q from "./queries.ts";
import { type EvaluatorSpec, MAX_RUN_CELLS } from "./schemas.ts";

/** The job kind that runs an evaluation (jobs.ts registers its handler). */
export const EVALUATION_JOB = "evaluation_run";

export interface RunTarget {
  prompt_id: string;
  prompt_version_id: string;
  version: number;
}

/** What a run stores and its job reads: everything resolved, so the job never re-decides anything. */
export interface RunConfig {
  targets: RunTarget[];
  models: string[];
  evaluators: Evaluator[];
  concurrency: number;
}

export interface EvaluationJobPayload {
  run_id: string;
  org_id: string;
  actor: ReturnType<typeof snapshotActor>;
}

export interface Score {
  evaluator: string;
  type: Evaluator["type"];
  score: number;
  passed: boolean;
  reasoning?: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d ? iso(d) : null);

export const runView = (r: EvaluationRunRow) => {
  const c = r.config as RunConfig;
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    dataset_id: r.dataset_id,
    job_id: r.job_id,
    targets: c.targets,
    models: c.models,
    evaluators: c.evaluators as unknown as Array<Record<string, unknown>>,
    concurrency: c.concurrency,
    progress: { done: r.done, total: r.total, failed: r.failed },
    error: r.error,
    created_by_user_id: r.created_by_user_id,
    created_by_api_key_id: r.created_by_api_key_id,
    created_at: iso(r.created_at),
    started_at: isoOrNull(r.started_at),
    finished_at: isoOrNull(r.finished_at),
  };
};

export const resultView = (r: EvaluationResultRow) => ({
  id: r.id,
  item_id: r.item_id,
  position: r.position,
  prompt_version_id: r.prompt_version_id,
  model: r.model,
  execution_id: r.execution_id,
  output: r.output,
  scores: r.scores as Score[],
  score: r.score,
  passed: r.passed,
  latency_ms: r.latency_ms,
  tokens: { input: r.tokens_input, output: r.tokens_output },
  cost_usd: formatCost(parseCost(r.cost_usd)),
  judge_cost_usd: formatCost(parseCost(r.judge_cost_usd)),
  error: r.error,
  created_at: iso(r.created_at),
});

const invalid = (path: string, message: string) =>
  new AppError("validation_failed", `Invalid request: ${path}: ${message}`, [{ path, message }]);

/** Item positions, for error messages: the first few and how many. */
const positions = (ps: number[]) =>
  `${ps.length} item(s), e.g. position ${ps.slice(0, 5).join(", ")}${ps.length > 5 ? ", …" : ""}`;

type Items = Awaited<ReturnType<typeof datasets.itemsOf>>;

function checkEvaluators(specs: EvaluatorSpec[], items: Items): Evaluator[] {
  let evaluators: Evaluator[];
  try {
    evaluators = resolveEvaluators(specs);
  } catch (err) {
    if (err instanceof EvaluatorSpecError) throw invalid("body.evaluators", err.message);
    throw err;
  }
  evaluators.forEach((ev, i) => {
    const path = `body.evaluators.${i}`;
    try {
      compileEvaluator(ev);
    } catch (err) {
      if (err instanceof EvaluatorSpecError) throw invalid(path, err.message);
      throw err;
    }
    const needsExpected =
      (ev.type === "exact_match" || ev.type === "contains" || ev.type === "numeric") &&
      ev.value === undefined;
    if (needsExpected) {
      const lacking = items
        .filter((it) => it.expected === null || (ev.type === "numeric" && firstNumber(it.expected) === null))
        .map((it) => it.position);
      if (lacking.length) {
        const what = ev.type === "numeric" ? "a number in expected" : "an expected output";
        throw invalid(
          path,
          `${ev.name} compares with the item's expected output, but ${positions(lacking)} lack ${what}; give the evaluator a value or fix the dataset`,
        );
      }
    }
    if (ev.type === "llm_judge") {
      const allowed = new Set<string>(JUDGE_VARIABLES);
      const used = extractVariables([
        { role: "user", content: [{ type: "text", text: judgeTemplate(ev.rubric) }] },
      ]);
      for (const name of used.filter((n) => !allowed.has(n))) {
        const lacking = items.filter((it) => !Object.hasOwn(it.variables, name)).map((it) => it.position);
        if (lacking.length)
          throw invalid(path, `the rubric uses {{${name}}}, which ${positions(lacking)} of the dataset lack`);
      }
    }
  });
  return evaluators;
}

export interface CreateRunInput {
  name?: string;
  dataset_id: string;
  targets: Array<{ prompt_id: string; version?: number; label?: string }>;
  models: string[];
  evaluators: EvaluatorSpec[];
  concurrency?: number;
}

/**
 * Start a run: validate everything a cell could trip on (dataset, versions and their variables, models,
 * evaluators), then in one transaction freeze the dataset, store the run with its resolved config, enqueue its
 * job and write the audit row. The job starts after commit.
 */
export async function createRun(deps: Deps, ctx: Ctx, input: CreateRunInput) {
  const dataset = await datasets.mustGetDataset(deps, ctx, input.dataset_id);
  const items = await datasets.itemsOf(deps, ctx, dataset.id);
  if (items.length === 0)
    throw new AppError("bad_request", `Dataset "${dataset.name}" has no items; add some before running`);

  const targets: RunTarget[] = [];
  for (const [i, t] of input.targets.entries()) {
    const v = await prompts.resolveVersion(deps, ctx, t.prompt_id, {
      ...(t.version !== undefined ? { version: t.version } : {}),
      ...(t.label !== undefined ? { label: t.label } : {}),
    });
    if (targets.some((x) => x.prompt_version_id === v.id))
      throw invalid(`body.targets.${i}`, `prompt ${t.prompt_id} version ${v.version} is listed twice`);
    const missing = v.variables
      .map((name) => ({
        variable: name,
        positions: items.filter((it) => !Object.hasOwn(it.variables, name)).map((it) => it.position),
      }))
      .filter((m) => m.positions.length > 0);
    const first = missing[0];
    if (first) {
      throw new AppError(
        "missing_variables",
        `Prompt ${t.prompt_id} version ${v.version} needs {{${first.variable}}}, which ${positions(first.positions)} of dataset "${dataset.name}" lack`,
        {
          missing: missing.map((m) => m.variable),
          target: { prompt_id: t.prompt_id, version: v.version, prompt_version_id: v.id },
          items: Object.fromEntries(missing.map((m) => [m.variable, m.positions.slice(0, 20)])),
        },
      );
    }
    targets.push({ prompt_id: t.prompt_id, prompt_version_id: v.id, version: v.version });
  }
  for (const [i, m] of input.models.entries()) {
    if (input.models.indexOf(m) !== i) throw invalid(`body.models.${i}`, `model ${m} is listed twice`);
    await models.resolveModel(deps, ctx.actor.orgId, m);
  }
  const evaluators = checkEvaluators(input.evaluators, items);
  for (const ev of evaluators)
    if (ev.type === "llm_judge") await models.resolveModel(deps, ctx.actor.orgId, ev.model);
  const total = items.length * targets.length * input.models.length;
  if (total > MAX_RUN_CELLS) {
    throw new AppError(
      "bad_request",
      `This run has ${total} cells (items × prompt versions × models); the limit is ${MAX_RUN_CELLS}`,
    );
  }
  const config: RunConfig = {
    targets,
    models: input.models,
    evaluators,
    concurrency: input.concurrency ?? 4,
  };

  const run = await inTransaction(deps.db, async (tx) => {
    const d = await q.getDatasetForUpdate(tx, ctx.actor.orgId, dataset.id);
    if (!d) throw notFound("Dataset");
    if (d.item_count !== items.length)
      throw conflict("The dataset changed while the run was being created; try again");
    const freezing = d.frozen_at === null;
    if (freezing) await q.updateDataset(tx, ctx.actor.orgId, d.id, { frozen_at: deps.clock.now() });
    const row = await q.insertRun(tx, {
      id: newId("evaluationRun"),
      organization_id: ctx.actor.orgId,
      dataset_id: d.id,
      name: input.name ?? "",
      config: JSON.stringify(config),
      total,
      created_by_user_id: ctx.actor.userId,
      created_by_api_key_id: ctx.actor.apiKeyId,
      created_at: deps.clock.now(),
    });
    const payload: EvaluationJobPayload = {
      run_id: row.id,
      org_id: ctx.actor.orgId,
      actor: snapshotActor(ctx.actor),
    };
    // Resumable work: a retry only does the cells still missing, so retrying is cheap and safe.
    const job = await enqueueJob(tx, {
      orgId: ctx.actor.orgId,
      kind: EVALUATION_JOB,
      payload: payload as unknown as Record<string, unknown>,
      maxAttempts: 10,
      total,
    });
    const withJob = await q.setRunJob(tx, row.id, job.id);
    await audit(tx, ctx, {
      action: "evaluation_run.create",
      resourceType: "evaluation_run",
      resourceId: row.id,
      summary: {
        dataset_id: d.id,
        froze_dataset: freezing,
        targets: targets.map((t) => ({ prompt_id: t.prompt_id, version: t.version })),
        models: config.models,
        evaluators: evaluators.map((e) => ({ name: e.name, type: e.type })),
        cells: total,
        job_id: job.id,
      },
    });
    return withJob;
  });
  wakeRunner(deps);
  return runView(run);
}

export async function listRuns(
  deps: Deps,
  ctx: Ctx,
  f: { limit: number; cursor?: string; status?: EvaluationRunStatus; dataset_id?: string },
) {
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const rows = await q.listRuns(deps.db, ctx.actor.orgId, {
    limit: f.limit,
    ...(f.status ? { status: f.status } : {}),
    ...(f.dataset_id ? { datasetId: f.dataset_id } : {}),
    ...(after ? { after } : {}),
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(runView),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

async function mustGetRun(deps: Deps, ctx: Ctx, id: string) {
  const r = await q.getRun(deps.db, ctx.actor.orgId, id);
  if (!r) throw notFound("Evaluation run");
  return r;
}

/** Exact decimal division, half-up at the pico-dollar: money never passes through a float. */
export function perItemCost(total: bigint, n: number): string | null {
  if (n === 0) return null;
  const d = BigInt(n);
  return formatCost((total * 2n + d) / (2n * d));
}

/** The run with live progress and, per (prompt version, model), its scores, latency, tokens and cost. */
export async function getRun(deps: Deps, ctx: Ctx, id: string) {
  const run = await mustGetRun(deps, ctx, id);
  const c = run.config as RunConfig;
  const [groups, perEvaluator, cost] = await Promise.all([
    q.groupAggregates(deps.db, ctx.actor.orgId, id),
    q.evaluatorAggregates(deps.db, ctx.actor.orgId, id),
    q.runCost(deps.db, ctx.actor.orgId, id),
  ]);
  const cellsPerPair = run.total / (c.targets.length * c.models.length);
  const aggregates = c.targets.flatMap((t) =>
    c.models.map((model) => {
      const g = groups.find((x) => x.prompt_version_id === t.prompt_version_id && x.model === model);
      const completed = g?.completed ?? 0;
      const modelCost = parseCost(g?.cost_usd ?? "0");
      const judgeCost = parseCost(g?.judge_cost_usd ?? "0");
      return {
        prompt_id: t.prompt_id,
        prompt_version_id: t.prompt_version_id,
        version: t.version,
        model,
        items: cellsPerPair,
        completed,
        failed: g?.failed ?? 0,
        passed: g?.passed ?? 0,
        pass_rate: completed ? (g?.passed ?? 0) / completed : null,
        mean_score: completed ? (g?.mean_score ?? null) : null,
        evaluators: c.evaluators.map((ev) => {
          const e = perEvaluator.find(
            (x) =>
              x.prompt_version_id === t.prompt_version_id && x.model === model && x.evaluator === ev.name,
          );
          return {
            name: ev.name,
            type: ev.type,
            mean_score: e ? e.mean_score : null,
            pass_rate: e?.n ? e.passed / e.n : null,
          };
        }),
        latency_ms: { p50: g?.p50 ?? null, p95: g?.p95 ?? null },
        tokens: { input: Number(g?.tokens_input ?? 0), output: Number(g?.tokens_output ?? 0) },
        cost_usd: {
          model: formatCost(modelCost),
          judge: formatCost(judgeCost),
          total: formatCost(modelCost + judgeCost),
          per_item: perItemCost(modelCost + judgeCost, completed),
        },
      };
    }),
  );
  const modelCost = parseCost(cost.cost_usd);
  const judgeCost = parseCost(cost.judge_cost_usd);
  return {
    ...runView(run),
    cost_usd: {
      model: formatCost(modelCost),
      judge: formatCost(judgeCost),
      total: formatCost(modelCost + judgeCost),
    },
    aggregates,
  };
}

export async function listResults(
  deps: Deps,
  ctx: Ctx,
  id: string,
  f: { limit: number; cursor?: string; prompt_version_id?: string; model?: string; passed?: boolean },
) {
  await mustGetRun(deps, ctx, id);
  let after: { position: number; id: string } | undefined;
  if (f.cursor) {
    const raw = Buffer.from(f.cursor, "base64url").toString("utf8");
    const m = /^(\d{1,9})\|(\S+)$/.exec(raw);
    if (!m?.[2]) throw new AppError("bad_request", "Invalid cursor");
    after = { position: Number(m[1]), id: m[2] };
  }
  const rows = await q.listResults(deps.db, ctx.actor.orgId, id, {
    limit: f.limit,
    ...(f.prompt_version_id ? { promptVersionId: f.prompt_version_id } : {}),
    ...(f.model ? { model: f.model } : {}),
    ...(f.passed !== undefined ? { passed: f.passed } : {}),
    ...(after ? { after } : {}),
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(resultView),
    next_cursor:
      rows.length > f.limit && last ? Buffer.from(`${last.position}|${last.id}`).toString("base64url") : null,
  };
}

/** Cancel a queued or running run: it is `cancelled` at once; its job stops at its next lease renewal. */
export async function cancelRun(deps: Deps, ctx: Ctx, id: string) {
  const run = await inTransaction(deps.db, async (tx) => {
    const r = await q.getRunForUpdate(tx, ctx.actor.orgId, id);
    if (!r) throw notFound("Evaluation run");
    if (r.status !== "queued" && r.status !== "running")
      throw conflict(`This run has already ended (${r.status})`, { status: r.status });
    if (r.job_id) await cancelJob(tx, r.job_id);
    await q.finishRun(tx, id, { status: "cancelled" });
    await audit(tx, ctx, {
      action: "evaluation_run.cancel",
      resourceType: "evaluation_run",
      resourceId: id,
      summary: { was: r.status, done: r.done, total: r.total },
    });
    return (await q.getRun(tx, ctx.actor.orgId, id)) as EvaluationRunRow;
  });
  deps.metrics.evaluations.jobs.inc({ status: "cancelled" });
  return runView(run);
}

/** One side of a comparison: a run's (prompt version, model), named outright or implied when it has one. */
function pickSide(
  run: EvaluationRunRow,
  side: "base" | "head",
  sel: { model?: string; prompt_version_id?: string },
): { prompt_version_id: string; version: number; model: string } {
  const c = run.config as RunConfig;
  const pairs = c.targets.flatMap((t) =>
    c.models.map((m) => ({ prompt_version_id: t.prompt_version_id, version: t.version, model: m })),
  );
  const matches = pairs.filter(
    (p) =>
      (sel.model === undefined || p.model === sel.model) &&
      (sel.prompt_version_id === undefined || p.prompt_version_id === sel.prompt_version_id),
  );
  const only = matches[0];
  if (matches.length === 1 && only) return only;
  const list = pairs.map((p) => `${p.prompt_version_id} × ${p.model}`).join(", ");
  throw new AppError(
    "bad_request",
    matches.length === 0
      ? `Run ${run.id} has no (prompt version, model) matching ${side}_model/${side}_prompt_version_id; it has: ${list}`
      : `Run ${run.id} has several (prompt version, model) pairs; choose one with ${side}_model and/or ${side}_prompt_version_id: ${list}`,
    { run_id: run.id, pairs },
  );
}

/**
 * Item by item: a base (another run, or another model or version of this one) against this run as head.
 * A regression is an item that passed in base and fails in head, or whose score dropped.
 */
export async function compareRuns(
  deps: Deps,
  ctx: Ctx,
  headRunId: string,
  f: {
    base_run?: string;
    base_model?: string;
    head_model?: string;
    base_prompt_version_id?: string;
    head_prompt_version_id?: string;
  },
) {
  const head = await mustGetRun(deps, ctx, headRunId);
  const base = f.base_run && f.base_run !== head.id ? await mustGetRun(deps, ctx, f.base_run) : head;
  if (base.dataset_id !== head.dataset_id)
    throw new AppError(
      "bad_request",
      "The two runs used different datasets; only runs on one dataset compare item by item",
    );
  const h = pickSide(head, "head", {
    ...(f.head_model ? { model: f.head_model } : {}),
    ...(f.head_prompt_version_id ? { prompt_version_id: f.head_prompt_version_id } : {}),
  });
  const b = pickSide(base, "base", {
    ...(f.base_model ? { model: f.base_model } : {}),
    ...(f.base_prompt_version_id ? { prompt_version_id: f.base_prompt_version_id } : {}),
  });
  if (base.id === head.id && b.model === h.model && b.prompt_version_id === h.prompt_version_id)
    throw new AppError(
      "bad_request",
      "Base and head are the same cells; name another run, model or prompt version",
    );
  const [bc, hc] = await Promise.all([
    q.cellsOf(deps.db, ctx.actor.orgId, base.id, b.prompt_version_id, b.model),
    q.cellsOf(deps.db, ctx.actor.orgId, head.id, h.prompt_version_id, h.model),
  ]);
  return {
    base: { run_id: base.id, ...b },
    head: { run_id: head.id, ...h },
    ...compareCells(bc, hc),
  };
}
