import { sql } from "kysely";
import { beforeCursor, type Conn } from "../../lib/db.ts";
import type { EvaluationRunStatus } from "../../lib/db-types.ts";
import { conflict } from "../../lib/errors.ts";
import { mapUnique } from "../orgs/queries.ts";

// ---- datasets ----

export function insertDataset(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    name: string;
    description: string;
    copied_from_dataset_id: string | null;
    created_by_user_id: string | null;
    created_at: Date;
    updated_at: Date;
  },
) {
  return mapUnique(
    db.insertInto("datasets").values(row).returningAll().executeTakeFirstOrThrow(),
    `A dataset named "${row.name}" exists`,
  );
}

export function getDataset(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("datasets")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Locks the dataset row: item changes and the freeze of a starting run serialise on it. */
export function getDatasetForUpdate(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("datasets")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export function listDatasets(
  db: Conn,
  orgId: string,
  f: { limit: number; after?: { createdAt: Date; id: string } },
) {
  let q = db.selectFrom("datasets").selectAll().where("organization_id", "=", orgId);
  if (f.after) {
    const a = f.after;
    q = q.where(beforeCursor("created_at", a.createdAt, a.id));
  }
  return q
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(f.limit + 1)
    .execute();
}

export function updateDataset(
  db: Conn,
  orgId: string,
  id: string,
  patch: { name?: string; description?: string; item_count?: number; frozen_at?: Date; updated_at?: Date },
) {
  return mapUnique(
    db
      .updateTable("datasets")
      .set(patch)
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow(),
    "A dataset with that name exists",
  );
}

export async function deleteDataset(db: Conn, orgId: string, id: string) {
  try {
    return await db
      .deleteFrom("datasets")
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .executeTakeFirst();
  } catch (err) {
    // A run started between our check and the delete: its foreign key wins.
    if ((err as { code?: string }).code === "23503")
      throw conflict("This dataset is used by an evaluation run and cannot be deleted");
    throw err;
  }
}

export async function countRunsUsing(db: Conn, orgId: string, datasetId: string): Promise<number> {
  const r = await db
    .selectFrom("evaluation_runs")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("organization_id", "=", orgId)
    .where("dataset_id", "=", datasetId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export interface NewItem {
  id: string;
  dataset_id: string;
  organization_id: string;
  position: number;
  variables: string;
  expected: string | null;
  metadata: string;
}

/** Insert in chunks: one statement per 500 rows keeps each under the parameter limit (65535). */
export async function insertItems(db: Conn, rows: NewItem[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto("dataset_items")
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

export function listItems(
  db: Conn,
  orgId: string,
  datasetId: string,
  f: { limit?: number; afterPosition?: number } = {},
) {
  let q = db
    .selectFrom("dataset_items")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("dataset_id", "=", datasetId);
  if (f.afterPosition !== undefined) q = q.where("position", ">", f.afterPosition);
  q = q.orderBy("position");
  return f.limit === undefined ? q.execute() : q.limit(f.limit + 1).execute();
}

// ---- runs ----

export function insertRun(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    dataset_id: string;
    name: string;
    config: string;
    total: number;
    created_by_user_id: string | null;
    created_by_api_key_id: string | null;
    created_at: Date;
  },
) {
  return db.insertInto("evaluation_runs").values(row).returningAll().executeTakeFirstOrThrow();
}

export function setRunJob(db: Conn, id: string, jobId: string) {
  return db
    .updateTable("evaluation_runs")
    .set({ job_id: jobId })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function getRun(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("evaluation_runs")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export function getRunForUpdate(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("evaluation_runs")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export function listRuns(
  db: Conn,
  orgId: string,
  f: {
    limit: number;
    status?: EvaluationRunStatus;
    datasetId?: string;
    after?: { createdAt: Date; id: string };
  },
) {
  let q = db.selectFrom("evaluation_runs").selectAll().where("organization_id", "=", orgId);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.datasetId) q = q.where("dataset_id", "=", f.datasetId);
  if (f.after) {
    const a = f.after;
    q = q.where(beforeCursor("created_at", a.createdAt, a.id));
  }
  return q
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(f.limit + 1)
    .execute();
}

/** queued → running (a resumed run stays running); undefined when the run already ended or was cancelled. */
export function markRunStarted(db: Conn, orgId: string, id: string) {
  return db
    .updateTable("evaluation_runs")
    .set({ status: "running", started_at: sql<Date>`coalesce(started_at, now())` })
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .where("status", "in", ["queued", "running"])
    .returningAll()
    .executeTakeFirst();
}

/**
 * Progress from the result rows themselves, so it is exact after a crash, a retry or a lost lease.
 * Returns the run's status too: the job stops when it reads `cancelled`.
 */
export async function refreshRunCounts(db: Conn, id: string) {
  const r = await sql<{ status: EvaluationRunStatus; done: number; failed: number; total: number }>`
    UPDATE evaluation_runs r SET
      done = c.done, failed = c.failed
    FROM (SELECT count(*)::int AS done, (count(*) FILTER (WHERE error IS NOT NULL))::int AS failed
          FROM evaluation_results WHERE run_id = ${id}) c
    WHERE r.id = ${id}
    RETURNING r.status, r.done, r.failed, r.total`.execute(db);
  return r.rows[0];
}

/** End a run that is still queued or running; false when something else (a cancel) ended it first. */
export async function finishRun(
  db: Conn,
  id: string,
  patch: { status: "succeeded" | "failed" | "cancelled"; error?: string | null },
): Promise<boolean> {
  const r = await db
    .updateTable("evaluation_runs")
    .set({ status: patch.status, error: patch.error ?? null, finished_at: new Date() })
    .where("id", "=", id)
    .where("status", "in", ["queued", "running"])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

// ---- results ----

export async function finishedCells(db: Conn, runId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("evaluation_results")
    .select(["item_id", "prompt_version_id", "model"])
    .where("run_id", "=", runId)
    .execute();
  return new Set(rows.map((r) => cellKey(r.item_id, r.prompt_version_id, r.model)));
}

export const cellKey = (itemId: string, promptVersionId: string, model: string) =>
  `${itemId}:${promptVersionId}:${model}`;

/** true when inserted; false when this cell already had its row (a racing retry wrote it first). */
export async function insertResult(
  db: Conn,
  row: {
    id: string;
    run_id: string;
    organization_id: string;
    item_id: string;
    position: number;
    prompt_version_id: string;
    model: string;
    execution_id: string | null;
    output: string | null;
    scores: string;
    score: number;
    passed: boolean;
    latency_ms: number | null;
    tokens_input: number;
    tokens_output: number;
    cost_usd: string;
    judge_cost_usd: string;
    error: string | null;
  },
): Promise<boolean> {
  const r = await db
    .insertInto("evaluation_results")
    .values(row)
    .onConflict((oc) => oc.columns(["run_id", "item_id", "prompt_version_id", "model"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return Boolean(r);
}

export function listResults(
  db: Conn,
  orgId: string,
  runId: string,
  f: {
    limit: number;
    promptVersionId?: string;
    model?: string;
    passed?: boolean;
    after?: { position: number; id: string };
  },
) {
  let q = db
    .selectFrom("evaluation_results")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("run_id", "=", runId);
  if (f.promptVersionId) q = q.where("prompt_version_id", "=", f.promptVersionId);
  if (f.model) q = q.where("model", "=", f.model);
  if (f.passed !== undefined) q = q.where("passed", "=", f.passed);
  if (f.after) {
    const a = f.after;
    q = q.where((eb) =>
      eb.or([
        eb("position", ">", a.position),
        eb.and([eb("position", "=", a.position), eb("id", ">", a.id)]),
      ]),
    );
  }
  return q
    .orderBy("position")
    .orderBy("id")
    .limit(f.limit + 1)
    .execute();
}

/** Cells of one (prompt version, model) of a run, by item: what a comparison lines up. */
export function cellsOf(db: Conn, orgId: string, runId: string, promptVersionId: string, model: string) {
  return db
    .selectFrom("evaluation_results")
    .select(["item_id", "position", "score", "passed", "output", "error", "scores"])
    .where("organization_id", "=", orgId)
    .where("run_id", "=", runId)
    .where("prompt_version_id", "=", promptVersionId)
    .where("model", "=", model)
    .orderBy("position")
    .execute();
}

export interface GroupAggregate {
  prompt_version_id: string;
  model: string;
  completed: number;
  failed: number;
  passed: number;
  mean_score: number | null;
  p50: number | null;
  p95: number | null;
  tokens_input: string;
  tokens_output: string;
  cost_usd: string;
  judge_cost_usd: string;
}

/**
 * Per (prompt version, model): counts, mean score, nearest-rank latency percentiles (percentile_disc: an
 * observed value), and exact NUMERIC cost sums (as text, never through a float).
 */
export async function groupAggregates(db: Conn, orgId: string, runId: string): Promise<GroupAggregate[]> {
  const r = await sql<GroupAggregate>`
    SELECT prompt_version_id, model,
      count(*)::int AS completed,
      (count(*) FILTER (WHERE error IS NOT NULL))::int AS failed,
      (count(*) FILTER (WHERE passed))::int AS passed,
      avg(score)::float8 AS mean_score,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
      percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
      coalesce(sum(tokens_input), 0)::text AS tokens_input,
      coalesce(sum(tokens_output), 0)::text AS tokens_output,
      coalesce(sum(cost_usd), 0)::text AS cost_usd,
      coalesce(sum(judge_cost_usd), 0)::text AS judge_cost_usd
    FROM evaluation_results
    WHERE organization_id = ${orgId} AND run_id = ${runId}
    GROUP BY prompt_version_id, model`.execute(db);
  return r.rows;
}

export interface EvaluatorAggregate {
  prompt_version_id: string;
  model: string;
  evaluator: string;
  mean_score: number;
  passed: number;
  n: number;
}

export async function evaluatorAggregates(
  db: Conn,
  orgId: string,
  runId: string,
): Promise<EvaluatorAggregate[]> {
  const r = await sql<EvaluatorAggregate>`
    SELECT r.prompt_version_id, r.model, s->>'evaluator' AS evaluator,
      avg((s->>'score')::float8)::float8 AS mean_score,
      (count(*) FILTER (WHERE (s->>'passed')::boolean))::int AS passed,
      count(*)::int AS n
    FROM evaluation_results r CROSS JOIN LATERAL jsonb_array_elements(r.scores) s
    WHERE r.organization_id = ${orgId} AND r.run_id = ${runId}
    GROUP BY r.prompt_version_id, r.model, s->>'evaluator'`.execute(db);
  return r.rows;
}

/** The run's whole cost (its cells' calls and their judges'), exact. */
export async function runCost(db: Conn, orgId: string, runId: string) {
  const r = await sql<{ cost_usd: string; judge_cost_usd: string }>`
    SELECT coalesce(sum(cost_usd), 0)::text AS cost_usd, coalesce(sum(judge_cost_usd), 0)::text AS judge_cost_usd
    FROM evaluation_results WHERE organization_id = ${orgId} AND run_id = ${runId}`.execute(db);
  return r.rows[0] ?? { cost_usd: "0", judge_cost_usd: "0" };
}
