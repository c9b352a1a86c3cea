import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { AppError } from "../../lib/errors.ts";
import { ctxOf, errorResponses, paginationQuery, typed } from "../../lib/http.ts";
import * as ds from "./datasets.ts";
import { evaluatorSpec, IMPORT_BODY_LIMIT, itemInput, MAX_DATASET_ITEMS } from "./schemas.ts";
import * as svc from "./service.ts";

const dataset = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    item_count: z.number().int(),
    frozen: z.boolean().describe("Used by a run: items can no longer change (copy it to edit)"),
    frozen_at: z.string().nullable(),
    copied_from_dataset_id: z.string().nullable(),
    created_by_user_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Dataset" });
const item = z
  .object({
    id: z.string(),
    position: z.number().int(),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    expected: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "DatasetItem" });
const items = z.array(itemInput).max(MAX_DATASET_ITEMS);
const format = z.enum(["jsonl", "csv"]);

const target = z.object({ prompt_id: z.string(), prompt_version_id: z.string(), version: z.number().int() });
const progress = z.object({
  done: z.number().int().describe("cells finished, failed ones included"),
  total: z.number().int().describe("items × prompt versions × models"),
  failed: z.number().int(),
});
const run = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
    dataset_id: z.string(),
    job_id: z.string().nullable(),
    targets: z.array(target),
    models: z.array(z.string()),
    evaluators: z.array(z.record(z.string(), z.unknown())),
    concurrency: z.number().int(),
    progress,
    error: z.string().nullable(),
    created_by_user_id: z.string().nullable(),
    created_by_api_key_id: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "EvaluationRun" });
const money = z.string().describe('Exact decimal USD, e.g. "0.0000125"');
const runDetail = run
  .extend({
    cost_usd: z.object({ model: money, judge: money, total: money }),
    aggregates: z.array(
      z.object({
        prompt_id: z.string(),
        prompt_version_id: z.string(),
        version: z.number().int(),
        model: z.string(),
        items: z.number().int(),
        completed: z.number().int(),
        failed: z.number().int(),
        passed: z.number().int(),
        pass_rate: z.number().nullable(),
        mean_score: z.number().nullable().describe("mean of the cells' scores; a failed cell scores 0"),
        evaluators: z.array(
          z.object({
            name: z.string(),
            type: z.string(),
            mean_score: z.number().nullable(),
            pass_rate: z.number().nullable(),
          }),
        ),
        latency_ms: z.object({
          p50: z.number().int().nullable().describe("nearest-rank percentile"),
          p95: z.number().int().nullable(),
        }),
        tokens: z.object({ input: z.number().int(), output: z.number().int() }),
        cost_usd: z.object({
          model: money,
          judge: money,
          total: money,
          per_item: money.nullable().describe("total / completed, rounded half-up to 1e-12 USD"),
        }),
      }),
    ),
  })
  .meta({ id: "EvaluationRunDetail" });
const score = z.object({
  evaluator: z.string(),
  type: z.string(),
  score: z.number(),
  passed: z.boolean(),
  reasoning: z.string().optional(),
});
const result = z
  .object({
    id: z.string(),
    item_id: z.string(),
    position: z.number().int(),
    prompt_version_id: z.string(),
    model: z.string(),
    execution_id: z.string().nullable(),
    output: z.string().nullable(),
    scores: z.array(score),
    score: z.number(),
    passed: z.boolean(),
    latency_ms: z.number().int().nullable(),
    tokens: z.object({ input: z.number().int(), output: z.number().int() }),
    cost_usd: money,
    judge_cost_usd: money,
    error: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "EvaluationResult" });
const sideScore = z.object({ score: z.number(), passed: z.boolean() });
const sideCell = sideScore.extend({ output: z.string().nullable(), error: z.string().nullable() });
const rate = z.object({ mean_score: z.number().nullable(), pass_rate: z.number().nullable() });
const pair = z.object({
  run_id: z.string(),
  prompt_version_id: z.string(),
  version: z.number().int(),
  model: z.string(),
});
const comparison = z
  .object({
    base: pair,
    head: pair,
    summary: z.object({
      compared: z.number().int(),
      missing: z.number().int().describe("items finished on one side only"),
      regressed: z.number().int(),
      improved: z.number().int(),
      unchanged: z.number().int(),
      passed_to_failed: z.number().int(),
      failed_to_passed: z.number().int(),
      base: rate,
      head: rate,
    }),
    regressions: z.array(
      z.object({
        item_id: z.string(),
        position: z.number().int(),
        reason: z.enum(["passed_to_failed", "score_dropped"]),
        delta: z.number(),
        base: sideCell,
        head: sideCell,
      }),
    ),
    items: z.array(
      z.object({
        item_id: z.string(),
        position: z.number().int(),
        base: sideScore,
        head: sideScore,
        delta: z.number(),
        change: z.enum(["regressed", "improved", "unchanged"]),
      }),
    ),
  })
  .meta({ id: "EvaluationComparison" });

const datasetParams = z.object({ datasetId: z.string().min(1).max(64) });
const runParams = z.object({ evaluationRunId: z.string().min(1).max(64) });
const D = { datasetId: "dataset" };
const R = { evaluationRunId: "evaluationRun" };
const tags = ["evaluations"];

/** The media types an import accepts as a raw body, besides JSON `{format, content}`. */
const RAW_TYPES: Record<string, "jsonl" | "csv"> = {
  "application/x-ndjson": "jsonl",
  "application/jsonl": "jsonl",
  "text/csv": "csv",
};

/** A raw file takes its format from the Content-Type; a JSON body names it. */
function importInput(
  contentType: string | undefined,
  body: string | { format: "jsonl" | "csv"; content: string },
): { format: "jsonl" | "csv"; content: string } {
  if (typeof body !== "string") return body;
  const format = RAW_TYPES[(contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? ""];
  if (!format)
    throw new AppError(
      "bad_request",
      "Send the file as JSON {format, content}, or raw as text/csv or application/x-ndjson",
    );
  return { format, content: body };
}

export function registerEvaluationRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);

  r.get(
    "/api/v1/datasets",
    {
      config: { rules: { permission: "executions:read" } },
      schema: {
        tags,
        summary: "List datasets, newest first",
        querystring: paginationQuery,
        response: { 200: z.object({ data: z.array(dataset), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => ds.listDatasets(deps, ctxOf(req), req.query),
  );

  r.post(
    "/api/v1/datasets",
    {
      config: { rules: { permission: "prompts:write", audit: "dataset.create" } },
      schema: {
        tags,
        summary: "Create a dataset, optionally with its first items",
        body: z.object({
          name: z.string().min(1).max(200),
          description: z.string().max(5000).optional(),
          items: items.optional(),
        }),
        response: { 201: dataset, 409: errorResponses[409] },
      },
    },
    async (req, reply) => reply.status(201).send(await ds.createDataset(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/datasets/:datasetId",
    {
      config: { rules: { permission: "executions:read", params: D } },
      schema: { tags, summary: "One dataset", params: datasetParams, response: { 200: dataset } },
    },
    async (req) => ds.getDataset(deps, ctxOf(req), req.params.datasetId),
  );

  r.patch(
    "/api/v1/datasets/:datasetId",
    {
      config: { rules: { permission: "prompts:write", audit: "dataset.update", params: D } },
      schema: {
        tags,
        summary: "Rename or describe a dataset (allowed when frozen: runs read only its items)",
        params: datasetParams,
        body: z.object({
          name: z.string().min(1).max(200).optional(),
          description: z.string().max(5000).optional(),
        }),
        response: { 200: dataset, 409: errorResponses[409] },
      },
    },
    async (req) => ds.updateDataset(deps, ctxOf(req), req.params.datasetId, req.body),
  );

  r.delete(
    "/api/v1/datasets/:datasetId",
    {
      config: { rules: { permission: "prompts:write", audit: "dataset.delete", params: D } },
      schema: {
        tags,
        summary: "Delete a dataset no run has used (409 otherwise)",
        params: datasetParams,
      },
    },
    async (req, reply) => {
      await ds.deleteDataset(deps, ctxOf(req), req.params.datasetId);
      return reply.status(204).send();
    },
  );

  r.get(
    "/api/v1/datasets/:datasetId/items",
    {
      config: { rules: { permission: "executions:read", params: D } },
      schema: {
        tags,
        summary: "A dataset's items, by position",
        params: datasetParams,
        querystring: paginationQuery,
        response: { 200: z.object({ data: z.array(item), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => ds.listItems(deps, ctxOf(req), req.params.datasetId, req.query),
  );

  r.post(
    "/api/v1/datasets/:datasetId/items",
    {
      config: { rules: { permission: "prompts:write", audit: "dataset_items.append", params: D } },
      schema: {
        tags,
        summary: "Append items (409 when the dataset is frozen: copy it first)",
        params: datasetParams,
        body: z.object({ items: items.min(1) }),
        response: { 201: z.object({ dataset, data: z.array(item) }), 409: errorResponses[409] },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await ds.appendItems(deps, ctxOf(req), req.params.datasetId, req.body.items)),
  );

  r.get(
    "/api/v1/datasets/:datasetId/export",
    {
      config: { rules: { permission: "executions:read", params: D } },
      schema: {
        tags,
        summary: "Export the items as JSONL (application/x-ndjson) or CSV (text/csv); re-importable as is",
        params: datasetParams,
        querystring: z.object({ format: format.default("jsonl") }),
      },
    },
    async (req, reply) => {
      const file = await ds.exportItems(deps, ctxOf(req), req.params.datasetId, req.query.format);
      return reply
        .header("content-type", file.contentType)
        .header("content-disposition", `attachment; filename="${file.filename}"`)
        .send(file.body);
    },
  );

  r.post(
    "/api/v1/datasets/:datasetId/copy",
    {
      config: { rules: { permission: "prompts:write", audit: "dataset.copy", params: D } },
      schema: {
        tags,
        summary: "An editable copy of a dataset and its items (how a frozen dataset changes)",
        params: datasetParams,
        body: z
          .object({
            name: z.string().min(1).max(200).optional().describe('default: "<name> (copy)"'),
            description: z.string().max(5000).optional(),
          })
          .default({}),
        response: { 201: dataset, 409: errorResponses[409] },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await ds.copyDataset(deps, ctxOf(req), req.params.datasetId, req.body)),
  );

  // Raw CSV and JSONL bodies are parsed (as text) only on the import route, so every other route still
  // answers 415 to them.
  app.register(async (scoped) => {
    for (const type of Object.keys(RAW_TYPES))
      scoped.addContentTypeParser(type, { parseAs: "string" }, (_req, body, done) => done(null, body));
    typed(scoped).post(
      "/api/v1/datasets/:datasetId/import",
      {
        bodyLimit: Math.max(IMPORT_BODY_LIMIT, deps.config.LECTERN_BODY_LIMIT_BYTES),
        config: { rules: { permission: "prompts:write", audit: "dataset_items.import", params: D } },
        schema: {
          tags,
          summary:
            "Append items from a JSONL or CSV file: send it raw (Content-Type application/x-ndjson or text/csv) " +
            "or as JSON {format, content}. Any bad row fails the import with a 400 listing {line, message} for " +
            "each bad line, and nothing is written",
          params: datasetParams,
          body: z.union([z.string(), z.object({ format, content: z.string() })]),
          response: {
            201: z.object({ imported: z.number().int(), dataset }),
            400: errorResponses[400],
            409: errorResponses[409],
          },
        },
      },
      async (req, reply) => {
        const input = importInput(req.headers["content-type"], req.body);
        return reply.status(201).send(await ds.importItems(deps, ctxOf(req), req.params.datasetId, input));
      },
    );
  });

  r.post(
    "/api/v1/evaluations/batch",
    {
      config: { rules: { permission: "executions:run", audit: "evaluation_run.create" } },
      schema: {
        tags,
        summary:
          "Start an evaluation: prompt versions × models over a dataset, scored by evaluators. Runs in the " +
          "background (202); GET the run for live progress and aggregates. Freezes the dataset",
        body: z.object({
          name: z.string().max(200).optional(),
          dataset_id: z.string().min(1).max(64),
          targets: z
            .array(
              z
                .object({
                  prompt_id: z.string().min(1).max(64),
                  version: z.number().int().min(1).max(2_147_483_647).optional(),
                  label: z.string().min(1).max(64).optional(),
                })
                .strict(),
            )
            .min(1)
            .max(10)
            .describe("Prompt versions by number or label (default: latest)"),
          models: z.array(z.string().min(1).max(128)).min(1).max(10).describe("Catalog slugs to compare"),
          evaluators: z.array(evaluatorSpec).min(1).max(20),
          concurrency: z
            .number()
            .int()
            .min(1)
            .max(32)
            .optional()
            .describe("Cells in flight at once (default 4)"),
        }),
        response: { 202: run, 400: errorResponses[400], 404: errorResponses[404] },
      },
    },
    async (req, reply) => reply.status(202).send(await svc.createRun(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/evaluations",
    {
      config: { rules: { permission: "executions:read" } },
      schema: {
        tags,
        summary: "List evaluation runs, newest first",
        querystring: paginationQuery.extend({
          status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]).optional(),
          dataset_id: z.string().max(64).optional(),
        }),
        response: { 200: z.object({ data: z.array(run), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => svc.listRuns(deps, ctxOf(req), req.query),
  );

  r.get(
    "/api/v1/evaluations/:evaluationRunId",
    {
      config: { rules: { permission: "executions:read", params: R } },
      schema: {
        tags,
        summary: "A run: status, progress, and per (prompt version, model) scores, latency, tokens and cost",
        params: runParams,
        response: { 200: runDetail },
      },
    },
    async (req) => svc.getRun(deps, ctxOf(req), req.params.evaluationRunId),
  );

  r.get(
    "/api/v1/evaluations/:evaluationRunId/results",
    {
      config: { rules: { permission: "executions:read", params: R } },
      schema: {
        tags,
        summary: "Per-cell results (item × prompt version × model), by item position",
        params: runParams,
        querystring: paginationQuery.extend({
          prompt_version_id: z.string().max(64).optional(),
          model: z.string().max(128).optional(),
          passed: z
            .enum(["true", "false"])
            .transform((v) => v === "true")
            .optional(),
        }),
        response: { 200: z.object({ data: z.array(result), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => svc.listResults(deps, ctxOf(req), req.params.evaluationRunId, req.query),
  );

  r.post(
    "/api/v1/evaluations/:evaluationRunId/cancel",
    {
      config: { rules: { permission: "executions:run", audit: "evaluation_run.cancel", params: R } },
      schema: {
        tags,
        summary: "Cancel a queued or running run (409 once it has ended); finished cells are kept",
        params: runParams,
        response: { 200: run, 409: errorResponses[409] },
      },
    },
    async (req) => svc.cancelRun(deps, ctxOf(req), req.params.evaluationRunId),
  );

  r.get(
    "/api/v1/evaluations/:evaluationRunId/compare",
    {
      config: { rules: { permission: "executions:read", params: R } },
      schema: {
        tags,
        summary:
          "Compare item by item, this run as head: against base_run (same dataset), or two models or prompt " +
          "versions of this run (base_model/head_model, base_prompt_version_id/head_prompt_version_id). " +
          "Lists regressions: items that passed in base and fail in head, or whose score dropped",
        params: runParams,
        querystring: z.object({
          base_run: z.string().max(64).optional(),
          base_model: z.string().max(128).optional(),
          head_model: z.string().max(128).optional(),
          base_prompt_version_id: z.string().max(64).optional(),
          head_prompt_version_id: z.string().max(64).optional(),
        }),
        response: { 200: comparison },
      },
    },
    async (req) => svc.compareRuns(deps, ctxOf(req), req.params.evaluationRunId, req.query),
  );
}
