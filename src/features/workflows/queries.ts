import { sql } from "kysely";
import { beforeCursor, type Conn } from "../../lib/db.ts";
import type { StepRunStatus, WorkflowRunStatus } from "../../lib/db-types.ts";
import { mapUnique } from "../orgs/queries.ts";

export function insertWorkflow(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    name: string;
    description: string;
    definition: string;
    created_by_user_id: string | null;
    created_at: Date;
    updated_at: Date;
  },
) {
  return mapUnique(
    db.insertInto("workflows").values(row).returningAll().executeTakeFirstOrThrow(),
    `A workflow named "${row.name}" exists`,
  );
}

export function getWorkflow(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("workflows")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Locks the row, so concurrent updates get consecutive versions and a delete waits for a starting run. */
export function getWorkflowForUpdate(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("workflows")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export function listWorkflows(
  db: Conn,
  orgId: string,
  f: { search?: string; limit: number; after?: { updatedAt: Date; id: string } },
) {
  let q = db.selectFrom("workflows").selectAll().where("organization_id", "=", orgId);
  if (f.search) {
    const pattern = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb("name", "ilike", pattern), eb("description", "ilike", pattern)]));
  }
  if (f.after) {
    const a = f.after;
    q = q.where(beforeCursor("updated_at", a.updatedAt, a.id));
  }
  return q
    .orderBy("updated_at", "desc")
    .orderBy("id", "desc")
    .limit(f.limit + 1)
    .execute();
}

export function updateWorkflow(
  db: Conn,
  orgId: string,
  id: string,
  patch: { name: string; description: string; definition: string; updated_at: Date },
) {
  return mapUnique(
    db
      .updateTable("workflows")
      .set((eb) => ({ ...patch, version: eb("version", "+", 1) }))
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow(),
    `A workflow named "${patch.name}" exists`,
  );
}

export function deleteWorkflow(db: Conn, orgId: string, id: string) {
  return db.deleteFrom("workflows").where("organization_id", "=", orgId).where("id", "=", id).execute();
}

export async function countActiveRunsOf(db: Conn, orgId: string, workflowId: string): Promise<number> {
  const r = await db
    .selectFrom("workflow_runs")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("organization_id", "=", orgId)
    .where("workflow_id", "=", workflowId)
    .where("status", "in", ["queued", "running"])
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** All organizations' queued and running runs: an index-only count over the partial active index. */
export async function countActiveRuns(db: Conn): Promise<number> {
  const r = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM workflow_runs WHERE status IN ('queued', 'running')`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export function insertRun(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    workflow_id: string;
    workflow_version: number;
    definition: string;
    inputs: string;
    created_by_user_id: string | null;
    created_by_api_key_id: string | null;
    created_at: Date;
  },
) {
  return db.insertInto("workflow_runs").values(row).returningAll().executeTakeFirstOrThrow();
}

export function insertStepRuns(
  db: Conn,
  rows: Array<{ id: string; run_id: string; organization_id: string; step_id: string }>,
) {
  return db.insertInto("workflow_step_runs").values(rows).execute();
}

export function getRun(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("workflow_runs")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export function getRunForUpdate(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("workflow_runs")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export function listRuns(
  db: Conn,
  orgId: string,
  workflowId: string,
  f: { status?: WorkflowRunStatus; limit: number; after?: { createdAt: Date; id: string } },
) {
  let q = db
    .selectFrom("workflow_runs")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("workflow_id", "=", workflowId);
  if (f.status) q = q.where("status", "=", f.status);
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

export function stepRunsOf(db: Conn, orgId: string, runId: string) {
  return db
    .selectFrom("workflow_step_runs")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("run_id", "=", runId)
    .execute();
}

/** Per run: token and exact cost sums over its steps (NUMERIC sums, never floats). */
export function runTotals(db: Conn, orgId: string, runIds: string[]) {
  if (runIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom("workflow_step_runs")
    .select((eb) => [
      "run_id",
      eb.fn.sum<string>("tokens_input").as("tokens_input"),
      eb.fn.sum<string>("tokens_output").as("tokens_output"),
      sql<string>`sum(cost_usd)::text`.as("cost_usd"),
    ])
    .where("organization_id", "=", orgId)
    .where("run_id", "in", runIds)
    .groupBy("run_id")
    .execute();
}

export function updateRun(
  db: Conn,
  runId: string,
  patch: {
    status?: WorkflowRunStatus;
    output?: string | null;
    error?: string | null;
    job_id?: string;
    cancel_requested?: boolean;
    started_at?: Date;
    finished_at?: Date;
  },
) {
  return db.updateTable("workflow_runs").set(patch).where("id", "=", runId).execute();
}

/** Queued → running; keeps the first start time when a resumed run comes back. */
export function markRunRunning(db: Conn, runId: string, at: Date) {
  return db
    .updateTable("workflow_runs")
    .set((eb) => ({ status: "running", started_at: eb.fn.coalesce("started_at", eb.val(at)) }))
    .where("id", "=", runId)
    .where("status", "in", ["queued", "running"])
    .execute();
}

/** Only an active run can end, so a cancel that won never gets overwritten by the worker (and vice versa). */
export async function finishRun(
  db: Conn,
  runId: string,
  patch: {
    status: "succeeded" | "failed" | "cancelled";
    output: string | null;
    error: string | null;
    at: Date;
  },
): Promise<boolean> {
  const r = await db
    .updateTable("workflow_runs")
    .set({ status: patch.status, output: patch.output, error: patch.error, finished_at: patch.at })
    .where("id", "=", runId)
    .where("status", "in", ["queued", "running"])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export function updateStepRun(
  db: Conn,
  runId: string,
  stepId: string,
  patch: {
    status?: StepRunStatus;
    attempts?: number;
    output?: string | null;
    error?: string | null;
    execution_id?: string | null;
    latency_ms?: number | null;
    tokens_input?: number;
    tokens_output?: number;
    cost_usd?: string;
    started_at?: Date;
    finished_at?: Date | null;
  },
) {
  return db
    .updateTable("workflow_step_runs")
    .set(patch)
    .where("run_id", "=", runId)
    .where("step_id", "=", stepId)
    .execute();
}

/** A step's attempt begins: running, with its attempt number; the first start time is kept. */
export function markStepRunning(db: Conn, runId: string, stepId: string, attempt: number, at: Date) {
  return db
    .updateTable("workflow_step_runs")
    .set((eb) => ({
      status: "running",
      attempts: attempt,
      error: null,
      started_at: eb.fn.coalesce("started_at", eb.val(at)),
    }))
    .where("run_id", "=", runId)
    .where("step_id", "=", stepId)
    .execute();
}

/** End every step still pending (or left running) with the given status. */
export function closeOpenSteps(db: Conn, runId: string, status: "skipped" | "cancelled", at: Date) {
  return db
    .updateTable("workflow_step_runs")
    .set({ status, finished_at: at })
    .where("run_id", "=", runId)
    .where("status", "in", ["pending", "running"])
    .execute();
}
