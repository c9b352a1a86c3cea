import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, paginationQuery, typed } from "../../lib/http.ts";
import { messagesInput, paramsInput } from "../providers/schemas.ts";
import { type ModelCallInput, runModelCall, streamModelCall } from "./pipeline.ts";
import * as svc from "./service.ts";
import { openSse } from "./sse.ts";

const variables = z.record(
  z.string().max(200),
  z.union([z.string().max(1_000_000), z.number(), z.boolean()]),
);

const usage = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cached_input_tokens: z.number().int(),
  reasoning_tokens: z.number().int(),
  total_tokens: z.number().int(),
});
export const executionSchema = z
  .object({
    id: z.string(),
    status: z.enum(["succeeded", "failed"]),
    source: z.string(),
    model: z.string(),
    prompt_id: z.string().nullable(),
    prompt_version_id: z.string().nullable(),
    output: z.string().nullable(),
    finish_reason: z.string().nullable(),
    usage,
    cost_usd: z.string().describe('Exact decimal USD, e.g. "0.0005103"'),
    latency_ms: z.number().int(),
    ttft_ms: z.number().int().nullable(),
    stream: z.boolean(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    user_id: z.string().nullable(),
    api_key_id: z.string().nullable(),
    request_id: z.string().nullable(),
    run_id: z.string().nullable().describe("The evaluation or workflow run that made it"),
    created_at: z.string(),
    completed_at: z.string(),
  })
  .meta({ id: "Execution" });
const executionDetailSchema = executionSchema
  .extend({
    inputs: z.record(z.string(), z.unknown()),
    messages: z.array(z.unknown()),
    params: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "ExecutionDetail" });

const streamDoc =
  "With `stream: true` the response is `text/event-stream`: `event: start` {id, model}, then `event: delta` {text} " +
  "events, then `event: done` with the execution (usage and cost), or `event: error` {error, execution}.";

/** Answer JSON, or stream SSE events from the pipeline. Errors before the first byte are plain JSON errors. */
async function respond(
  deps: Deps,
  req: FastifyRequest,
  reply: FastifyReply,
  call: ModelCallInput,
  stream: boolean,
) {
  const ctx = ctxOf(req);
  if (!stream) return runModelCall(deps, ctx, call);
  const abort = new AbortController();
  const events = await streamModelCall(deps, ctx, call, abort.signal);
  const sse = openSse(req, reply);
  sse.signal.addEventListener("abort", () => abort.abort());
  for await (const ev of events) {
    if (ev.type === "start") sse.event("start", { id: ev.executionId, model: ev.model });
    else if (ev.type === "delta") sse.event("delta", { text: ev.text });
    else if (ev.type === "done") sse.event("done", ev.execution);
    else
      sse.event("error", {
        error: { code: ev.error.code, message: ev.error.message, request_id: String(req.id) },
        execution: ev.execution,
      });
  }
  sse.end();
  return reply;
}

export function registerExecutionRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["executions"];

  r.post(
    "/api/v1/prompts/:promptId/execute",
    {
      config: {
        rules: {
          permission: "executions:run",
          audit: { none: "the execution row is its own record" },
          params: { promptId: "prompt" },
        },
      },
      schema: {
        tags,
        summary: "Run a prompt version (latest, by number, or by label) with variables",
        description: streamDoc,
        params: z.object({ promptId: z.string().min(1).max(64) }),
        body: z.object({
          version: z.number().int().min(1).max(2_147_483_647).optional(),
          label: z.string().min(1).max(64).optional(),
          variables: variables.optional(),
          stream: z.boolean().optional(),
        }),
        response: { 200: executionSchema, 400: errorResponses[400], 404: errorResponses[404] },
      },
    },
    async (req, reply) => {
      const call = await svc.promptCall(deps, ctxOf(req), req.params.promptId, req.body);
      return respond(deps, req, reply, call, req.body.stream ?? false);
    },
  );

  r.post(
    "/api/v1/executions",
    {
      config: {
        rules: { permission: "executions:run", audit: { none: "the execution row is its own record" } },
      },
      schema: {
        tags,
        summary: "Run ad-hoc messages on a model (the playground)",
        description: streamDoc,
        body: z.object({
          model: z.string().min(1).max(128),
          messages: messagesInput,
          params: paramsInput.optional(),
          variables: variables.optional(),
          stream: z.boolean().optional(),
        }),
        response: { 200: executionSchema, 400: errorResponses[400] },
      },
    },
    async (req, reply) => respond(deps, req, reply, svc.adHocCall(req.body), req.body.stream ?? false),
  );

  r.get(
    "/api/v1/executions",
    {
      config: { rules: { permission: "executions:read" } },
      schema: {
        tags,
        summary: "List executions, newest first (cursor-paginated)",
        querystring: paginationQuery.extend({
          prompt_id: z.string().max(64).optional(),
          model: z.string().max(128).optional(),
          status: z.enum(["succeeded", "failed"]).optional(),
          source: z.enum(["prompt", "playground", "gateway", "evaluation", "workflow"]).optional(),
          from: z.string().datetime({ offset: true }).optional(),
          to: z.string().datetime({ offset: true }).optional(),
          run_id: z.string().max(64).optional(),
        }),
        response: { 200: z.object({ data: z.array(executionSchema), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => svc.listExecutions(deps, ctxOf(req), req.query),
  );

  r.get(
    "/api/v1/executions/:executionId",
    {
      config: { rules: { permission: "executions:read", params: { executionId: "execution" } } },
      schema: {
        tags,
        summary: "One execution with its inputs, messages and output",
        params: z.object({ executionId: z.string().min(1).max(64) }),
        response: { 200: executionDetailSchema },
      },
    },
    async (req) => svc.getExecution(deps, ctxOf(req), req.params.executionId),
  );
}
