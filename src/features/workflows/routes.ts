import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, paginationQuery, typed } from "../../lib/http.ts";
import {
  definitionSchema,
  inputValue,
  runDetailSchema,
  runSchema,
  runStatus,
  workflowSchema,
} from "./schemas.ts";
import * as svc from "./service.ts";

const workflowBody = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  definition: definitionSchema,
});
const workflowParams = z.object({ workflowId: z.string().min(1).max(64) });
const runParams = z.object({ runId: z.string().min(1).max(64) });
const W = { workflowId: "workflow" };
const R = { runId: "workflow_run" };
/** validation_failed: `details` lists each problem as {step, path, message}; the message names the first step. */
const invalid = { 400: errorResponses[400] };

export function registerWorkflowRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["workflows"];

  r.get(
    "/api/v1/workflows",
    {
      config: { rules: { permission: "prompts:read" } },
      schema: {
        tags,
        summary: "List workflows, most recently changed first",
        querystring: paginationQuery.extend({ search: z.string().max(200).optional() }),
        response: { 200: z.object({ data: z.array(workflowSchema), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => svc.listWorkflows(deps, ctxOf(req), req.query),
  );

  r.post(
    "/api/v1/workflows",
    {
      config: { rules: { permission: "prompts:write", audit: "workflow.create" } },
      schema: {
        tags,
        summary: "Create a workflow: a DAG of prompt and transform steps (validated on save)",
        body: workflowBody,
        response: { 201: workflowSchema, ...invalid, 409: errorResponses[409] },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.createWorkflow(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/workflows/:workflowId",
    {
      config: { rules: { permission: "prompts:read", params: W } },
      schema: {
        tags,
        summary: "A workflow and its definition",
        params: workflowParams,
        response: { 200: workflowSchema, 404: errorResponses[404] },
      },
    },
    async (req) => svc.getWorkflow(deps, ctxOf(req), req.params.workflowId),
  );

  r.put(
    "/api/v1/workflows/:workflowId",
    {
      config: { rules: { permission: "prompts:write", audit: "workflow.update", params: W } },
      schema: {
        tags,
        summary: "Replace a workflow's name, description and definition (its version goes up by one)",
        params: workflowParams,
        body: workflowBody,
        response: { 200: workflowSchema, ...invalid, 404: errorResponses[404], 409: errorResponses[409] },
      },
    },
    async (req) => svc.updateWorkflow(deps, ctxOf(req), req.params.workflowId, req.body),
  );

  r.delete(
    "/api/v1/workflows/:workflowId",
    {
      config: { rules: { permission: "prompts:write", audit: "workflow.delete", params: W } },
      schema: {
        tags,
        summary: "Delete a workflow and its run history (executions are kept); 409 while a run is active",
        params: workflowParams,
      },
    },
    async (req, reply) => {
      await svc.deleteWorkflow(deps, ctxOf(req), req.params.workflowId);
      return reply.status(204).send();
    },
  );

  r.post(
    "/api/v1/workflows/:workflowId/execute",
    {
      config: { rules: { permission: "executions:run", audit: "workflow_run.create", params: W } },
      schema: {
        tags,
        summary: "Start a run: 202 with the queued run, or with wait=true 200 with the finished run",
        description:
          "Runs in the background by default. With `wait: true` the request waits up to `timeout_ms` " +
          `(default ${svc.DEFAULT_WAIT_MS}, at most 60000) and answers 200 with the finished run, or 202 with ` +
          "the run as it stands when the time is up. Follow it with GET /api/v1/workflows/runs/{runId}.",
        params: workflowParams,
        body: z.object({
          inputs: z.record(z.string().max(64), inputValue).default({}),
          wait: z.boolean().default(false),
          timeout_ms: z.number().int().min(1).max(60_000).optional(),
        }),
        response: { 200: runDetailSchema, 202: runDetailSchema, ...invalid, 404: errorResponses[404] },
      },
    },
    async (req, reply) => {
      const { done, run } = await svc.executeWorkflow(deps, ctxOf(req), req.params.workflowId, req.body);
      return reply.status(done ? 200 : 202).send(run);
    },
  );

  r.get(
    "/api/v1/workflows/:workflowId/runs",
    {
      config: { rules: { permission: "executions:read", params: W } },
      schema: {
        tags,
        summary: "A workflow's runs, newest first, with their tokens and cost",
        params: workflowParams,
        querystring: paginationQuery.extend({ status: runStatus.optional() }),
        response: { 200: z.object({ data: z.array(runSchema), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => svc.listRuns(deps, ctxOf(req), req.params.workflowId, req.query),
  );

  r.get(
    "/api/v1/workflows/runs/:runId",
    {
      config: { rules: { permission: "executions:read", params: R } },
      schema: {
        tags,
        summary: "A run with every step (status, output, error, attempts, latency, tokens, cost) and the DAG",
        params: runParams,
        response: { 200: runDetailSchema, 404: errorResponses[404] },
      },
    },
    async (req) => svc.getRun(deps, ctxOf(req), req.params.runId),
  );

  r.post(
    "/api/v1/workflows/runs/:runId/cancel",
    {
      config: { rules: { permission: "executions:run", audit: "workflow_run.cancel", params: R } },
      schema: {
        tags,
        summary: "Cancel a run: 200 when it ended at once (it was queued), 202 while a running one stops",
        params: runParams,
        response: {
          200: runDetailSchema,
          202: runDetailSchema,
          404: errorResponses[404],
          409: errorResponses[409],
        },
      },
    },
    async (req, reply) => {
      const { cancelled, run } = await svc.cancelRun(deps, ctxOf(req), req.params.runId);
      return reply.status(cancelled ? 200 : 202).send(run);
    },
  );
}
