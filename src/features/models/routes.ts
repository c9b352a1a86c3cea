import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, typed } from "../../lib/http.ts";
import * as svc from "./service.ts";

const model = z
  .object({
    id: z.string(),
    slug: z.string().describe("The catalog id used in requests, e.g. openai/gpt-4o-mini"),
    provider: z.string(),
    upstream_model: z.string(),
    display_name: z.string(),
    scope: z.enum(["global", "organization"]),
    credential_id: z.string().nullable(),
    capabilities: z.object({
      vision: z.boolean(),
      streaming: z.boolean(),
      context_window: z.number().int(),
      max_output_tokens: z.number().int(),
    }),
    deprecated: z.boolean(),
  })
  .meta({ id: "Model" });
const price = z
  .object({
    id: z.string(),
    model_id: z.string(),
    scope: z.enum(["global", "organization"]),
    input_per_mtok: z.string().describe("USD per million input tokens, decimal string"),
    output_per_mtok: z.string(),
    cached_input_per_mtok: z.string(),
    effective_from: z.string(),
  })
  .meta({ id: "ModelPrice" });
const params = z.object({ modelId: z.string().min(1).max(128) });
const usd = z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, "a decimal USD amount with at most 6 decimals");

export function registerModelRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["models"];

  r.get(
    "/api/v1/models",
    {
      config: { rules: { permission: "models:read" } },
      schema: {
        tags,
        summary: "The model catalog: global models and the organization's own",
        response: { 200: z.object({ data: z.array(model) }) },
      },
    },
    async (req) => ({ data: await svc.listModels(deps, ctxOf(req)) }),
  );

  r.post(
    "/api/v1/models",
    {
      config: { rules: { permission: "models:manage", audit: "model.create" } },
      schema: {
        tags,
        summary: "Add a model served by one of the organization's openai-compatible servers",
        body: z.object({
          slug: z
            .string()
            .regex(/^[a-z0-9][a-z0-9._-]*\/[A-Za-z0-9][\w.:-]*$/, "provider/model, e.g. vllm/llama-3.1-8b")
            .max(128),
          upstream_model: z.string().min(1).max(200),
          credential_id: z.string().min(1).max(64),
          display_name: z.string().max(200).optional(),
          supports_vision: z.boolean().optional(),
          supports_streaming: z.boolean().optional(),
          context_window: z.number().int().min(1).max(100_000_000),
          max_output_tokens: z.number().int().min(1).max(10_000_000),
        }),
        response: { 201: model, 409: errorResponses[409] },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.createOrgModel(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/models/:modelId",
    {
      config: { rules: { permission: "models:read", params: { modelId: "model" } } },
      schema: { tags, summary: "One model", params, response: { 200: model } },
    },
    async (req) => svc.getModel(deps, ctxOf(req), req.params.modelId),
  );

  r.delete(
    "/api/v1/models/:modelId",
    {
      config: { rules: { permission: "models:manage", audit: "model.delete", params: { modelId: "model" } } },
      schema: { tags, summary: "Delete one of the organization's own models", params },
    },
    async (req, reply) => {
      await svc.deleteOrgModel(deps, ctxOf(req), req.params.modelId);
      return reply.status(204).send();
    },
  );

  r.get(
    "/api/v1/models/:modelId/prices",
    {
      config: { rules: { permission: "models:read", params: { modelId: "model" } } },
      schema: {
        tags,
        summary: "Effective-dated prices (global and overrides)",
        params,
        response: { 200: z.object({ data: z.array(price) }) },
      },
    },
    async (req) => ({ data: await svc.listPrices(deps, ctxOf(req), req.params.modelId) }),
  );

  r.post(
    "/api/v1/models/:modelId/prices",
    {
      config: {
        rules: { permission: "models:manage", audit: "model_price.create", params: { modelId: "model" } },
      },
      schema: {
        tags,
        summary:
          "Set the organization's own price for a model from a date (negotiated rates, self-hosted costs)",
        params,
        body: z.object({
          input_per_mtok: usd,
          output_per_mtok: usd,
          cached_input_per_mtok: usd.optional(),
          effective_from: z.string().datetime({ offset: true }).optional(),
        }),
        response: { 201: price },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await svc.setOrgPrice(deps, ctxOf(req), req.params.modelId, req.body)),
  );
}
