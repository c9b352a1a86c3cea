import type { Deps } from "../../deps.ts";
import { inTransaction } from "../../lib/db.ts";
import type { WorkflowRunStatus } from "../../lib/db-types.ts";
import { AppError, conflict, notFound } from "../../lib/errors.ts";
import { decodeCursor, encodeCursor } from "../../lib/http.ts";
import { newId } from "../../lib/ids.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import { snapshotActor } from "../auth/service.ts";
import { cancelJob, enqueueJob, wakeRunner } from "../jobs/service.ts";
import * as models from "../models/service.ts";
import * as prompts from "../prompts/service.ts";
import { type Issue, resolveInputs, validateStructure } from "./dag.ts";
import type { RunPayload } from "./engine.ts";
import * as q from "./queries.ts";
import type { Definition, InputValue } from "./schemas.ts";
import { type RunDetail, runDetail, runView, workflowView } from "./views.ts";

export const JOB_KIND = "workflow_run";
/** `wait: true` without timeout_ms waits this long (ms) before answering 202 with the run as it stands. */
export const DEFAULT_WAIT_MS = 30_000;
const WAIT_POLL_MS = 100;

export interface WorkflowInput {
  name: string;
  description?: string;
  definition: Definition;
}

const TERMINAL: ReadonlySet<WorkflowRunStatus> = new Set(["succeeded", "failed", "cancelled"]);
export const isTerminal = (s: WorkflowRunStatus) => TERMINAL.has(s);

/** The 400 for a bad definition: the message names the first problem's step; details list them all. */
function invalidDefinition(issues: Issue[], what = "Invalid workflow"): AppError {
  const first = issues[0] as Issue;
  const where = first.step ? `step "${first.step}": ` : "";
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return new AppError("validation_failed", `${what}: ${where}${first.message}${more}`, issues);
}

/**
 * Everything wrong with a definition: the structure (dag.ts), then what needs the database — each prompt
 * step's version exists, the step supplies every variable that version uses, a model override is known.
 * Returns the definition with prompt steps pinned to the version they resolve to now (a run's snapshot).
 */
async function checkDefinition(deps: Deps, ctx: Ctx, def: Definition): Promise<Definition> {
  const structural = validateStructure(def);
  if (structural.length) throw invalidDefinition(structural);
  const issues: Issue[] = [];
  const steps = await Promise.all(
    def.steps.map(async (step, i) => {
      if (step.type !== "prompt") return step;
      const at = `definition.steps.${i}`;
      let version: Awaited<ReturnType<typeof prompts.resolveVersion>>;
      try {
        version = await prompts.resolveVersion(deps, ctx, step.prompt_id, {
          ...(step.version !== undefined ? { version: step.version } : {}),
          ...(step.label !== undefined ? { label: step.label } : {}),
        });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const field =
          step.label !== undefined ? "label" : step.version !== undefined ? "version" : "prompt_id";
        issues.push({
          step: step.id,
          path: `${at}.${field}`,
          message: `prompt ${step.prompt_id}: ${err.message}`,
        });
        return step;
      }
      const missing = version.variables.filter((v) => !Object.hasOwn(step.variables, v));
      if (missing.length) {
        issues.push({
          step: step.id,
          path: `${at}.variables`,
          message: `missing variables for prompt ${step.prompt_id} version ${version.version}: ${missing.join(", ")}`,
        });
      }
      if (step.model !== undefined) {
        try {
          await models.resolveModel(deps, ctx.actor.orgId, step.model);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          issues.push({ step: step.id, path: `${at}.model`, message: err.message });
        }
      }
      const { label: _label, ...rest } = step;
      return { ...rest, version: version.version };
    }),
  );
  if (issues.length) {
    // Report in definition order, whatever order the lookups finished in.
    const index = new Map(def.steps.map((s, i) => [s.id, i]));
    issues.sort((a, b) => (index.get(a.step ?? "") ?? 0) - (index.get(b.step ?? "") ?? 0));
    throw invalidDefinition(issues);
  }
  return { ...def, steps };
}

export async function createWorkflow(deps: Deps, ctx: Ctx, input: WorkflowInput) {
  await checkDefinition(deps, ctx, input.definition);
  return inTransaction(deps.db, async (tx) => {
    const w = await q.insertWorkflow(tx, {
      id: newId("workflow"),
      organization_id: ctx.actor.orgId,
      name: input.name,
      description: input.description ?? "",
      definition: JSON.stringify(input.definition),
      created_by_user_id: ctx.actor.userId,
      created_at: deps.clock.now(),
      updated_at: deps.clock.now(),
    });
    await audit(tx, ctx, {
      action: "workflow.create",
      resourceType: "workflow",
      resourceId: w.id,
      summary: { name: w.name, steps: input.definition.steps.length },
    });
    return workflowView(w);
  });
}

export async function listWorkflows(
  deps: Deps,
  ctx: Ctx,
  f: { search?: string; limit: number; cursor?: string },
) {
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const rows = await q.listWorkflows(deps.db, ctx.actor.orgId, {
    ...(f.search ? { search: f.search } : {}),
    limit: f.limit,
    ...(after ? { after: { updatedAt: after.createdAt, id: after.id } } : {}),
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(workflowView),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.updated_at, last.id) : null,
  };
}

async function mustGetWorkflow(deps: Deps, ctx: Ctx, id: string) {
  const w = await q.getWorkflow(deps.db, ctx.actor.orgId, id);
  if (!w) throw notFound("Workflow");
  return w;
}

export async function getWorkflow(deps: Deps, ctx: Ctx, id: string) {
  return workflowView(await mustGetWorkflow(deps, ctx, id));
}

/** Replace a workflow's name, description and definition; its version goes up by one. */
export async function updateWorkflow(deps: Deps, ctx: Ctx, id: string, input: WorkflowInput) {
  // Existence first: another org's id is a 404 whatever the body holds.
  await mustGetWorkflow(deps, ctx, id);
  await checkDefinition(deps, ctx, input.definition);
  return inTransaction(deps.db, async (tx) => {
    const before = await q.getWorkflowForUpdate(tx, ctx.actor.orgId, id);
    if (!before) throw notFound("Workflow");
    const after = await q.updateWorkflow(tx, ctx.actor.orgId, id, {
      name: input.name,
      description: input.description ?? "",
      definition: JSON.stringify(input.definition),
      updated_at: deps.clock.now(),
    });
    await audit(tx, ctx, {
      action: "workflow.update",
      resourceType: "workflow",
      resourceId: id,
      summary: {
        before: { name: before.name, version: before.version },
        after: { name: after.name, version: after.version, steps: input.definition.steps.length },
      },
    });
    return workflowView(after);
  });
}

/** Deletes the workflow and its run history (executions are kept); refused while a run is active. */
export async function deleteWorkflow(deps: Deps, ctx: Ctx, id: string) {
  await inTransaction(deps.db, async (tx) => {
    const w = await q.getWorkflowForUpdate(tx, ctx.actor.orgId, id);
    if (!w) throw notFound("Workflow");
    const active = await q.countActiveRunsOf(tx, ctx.actor.orgId, id);
    if (active > 0) throw conflict(`The workflow has ${active} active run(s); cancel them first`);
    await q.deleteWorkflow(tx, ctx.actor.orgId, id);
    await audit(tx, ctx, {
      action: "workflow.delete",
      resourceType: "workflow",
      resourceId: id,
      summary: { name: w.name, version: w.version },
    });
  });
}

async function loadDetail(deps: Deps, orgId: string, runId: string): Promise<RunDetail | null> {
  const run = await q.getRun(deps.db, orgId, runId);
  if (!run) return null;
  return runDetail(run, await q.stepRunsOf(deps.db, orgId, runId));
}

/**
 * Start a run: validate the inputs and the definition again (a prompt may have changed since the save),
 * snapshot it with prompt versions pinned, and enqueue the job in the same transaction. With `wait`, poll
 * the run until it ends or the timeout passes; `done` says which.
 */
export async function executeWorkflow(
  deps: Deps,
  ctx: Ctx,
  workflowId: string,
  input: { inputs: Record<string, InputValue>; wait: boolean; timeout_ms?: number },
): Promise<{ done: boolean; run: RunDetail }> {
  const w = await mustGetWorkflow(deps, ctx, workflowId);
  const def = w.definition as Definition;
  const { values, issues } = resolveInputs(def, input.inputs);
  if (issues.length) throw invalidDefinition(issues, "Invalid inputs");
  const pinned = await checkDefinition(deps, ctx, def);
  const runId = await inTransaction(deps.db, async (tx) => {
    // The lock keeps a concurrent delete from removing the workflow under a run being created.
    if (!(await q.getWorkflowForUpdate(tx, ctx.actor.orgId, workflowId))) throw notFound("Workflow");
    const run = await q.insertRun(tx, {
      id: newId("workflowRun"),
      organization_id: ctx.actor.orgId,
      workflow_id: workflowId,
      workflow_version: w.version,
      definition: JSON.stringify(pinned),
      inputs: JSON.stringify(values),
      created_by_user_id: ctx.actor.userId,
      created_by_api_key_id: ctx.actor.apiKeyId,
      created_at: deps.clock.now(),
    });
    await q.insertStepRuns(
      tx,
      pinned.steps.map((s) => ({
        id: newId("stepRun"),
        run_id: run.id,
        organization_id: ctx.actor.orgId,
        step_id: s.id,
      })),
    );
    const payload: RunPayload = { runId: run.id, actor: snapshotActor(ctx.actor) };
    const job = await enqueueJob(tx, {
      orgId: ctx.actor.orgId,
      kind: JOB_KIND,
      payload: { ...payload },
      maxAttempts: 3,
      total: pinned.steps.length,
    });
    await q.updateRun(tx, run.id, { job_id: job.id });
    await audit(tx, ctx, {
      action: "workflow_run.create",
      resourceType: "workflow_run",
      resourceId: run.id,
      summary: { workflow_id: workflowId, workflow_version: w.version, job_id: job.id },
    });
    return run.id;
  });
  wakeRunner(deps);
  const deadline = Date.now() + (input.wait ? (input.timeout_ms ?? DEFAULT_WAIT_MS) : 0);
  for (;;) {
    const run = await loadDetail(deps, ctx.actor.orgId, runId);
    if (!run) throw notFound("Workflow run");
    if (isTerminal(run.status)) return { done: true, run };
    if (!input.wait || Date.now() >= deadline) return { done: false, run };
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}

export async function listRuns(
  deps: Deps,
  ctx: Ctx,
  workflowId: string,
  f: { status?: WorkflowRunStatus; limit: number; cursor?: string },
) {
  await mustGetWorkflow(deps, ctx, workflowId);
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const rows = await q.listRuns(deps.db, ctx.actor.orgId, workflowId, {
    ...(f.status ? { status: f.status } : {}),
    limit: f.limit,
    ...(after ? { after } : {}),
  });
  const page = rows.slice(0, f.limit);
  const totals = new Map(
    (
      await q.runTotals(
        deps.db,
        ctx.actor.orgId,
        page.map((r) => r.id),
      )
    ).map((t) => [t.run_id, t]),
  );
  const last = page[page.length - 1];
  return {
    data: page.map((r) => runView(r, totals.get(r.id))),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

export async function getRun(deps: Deps, ctx: Ctx, runId: string) {
  const run = await loadDetail(deps, ctx.actor.orgId, runId);
  if (!run) throw notFound("Workflow run");
  return run;
}

/**
 * Cancel a run. A queued one ends at once (`cancelled`: true); a running one is asked to stop, and its worker
 * ends it as `cancelled` when it next renews its lease (steps in flight finish their current model call).
 */
export async function cancelRun(
  deps: Deps,
  ctx: Ctx,
  runId: string,
): Promise<{ cancelled: boolean; run: RunDetail }> {
  const cancelled = await inTransaction(deps.db, async (tx) => {
    const run = await q.getRunForUpdate(tx, ctx.actor.orgId, runId);
    if (!run) throw notFound("Workflow run");
    if (isTerminal(run.status)) throw conflict(`The run has already ended (${run.status})`);
    const outcome = run.job_id ? await cancelJob(tx, run.job_id) : "cancelled";
    const now = deps.clock.now();
    if (outcome === "cancelling") {
      await q.updateRun(tx, runId, { cancel_requested: true });
    } else {
      // the job was still queued (or is gone): no worker will end this run, so end it here
      await q.closeOpenSteps(tx, runId, "cancelled", now);
      await q.finishRun(tx, runId, {
        status: "cancelled",
        output: null,
        error: JSON.stringify({ code: "cancelled", message: "The run was cancelled" }),
        at: now,
      });
    }
    await audit(tx, ctx, {
      action: "workflow_run.cancel",
      resourceType: "workflow_run",
      resourceId: runId,
      summary: { workflow_id: run.workflow_id, status_before: run.status, outcome },
    });
    return outcome !== "cancelling";
  });
  return { cancelled, run: await getRun(deps, ctx, runId) };
}

/** Queued and running runs across all organizations: one indexed count, for the active-runs gauge. */
export const countActiveRuns = (db: Deps["db"]): Promise<number> => q.countActiveRuns(db);
