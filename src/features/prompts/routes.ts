import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, paginationQuery, typed } from "../../lib/http.ts";
import { messageOutput, messagesInput, paramsInput } from "../providers/schemas.ts";
import * as svc from "./service.ts";

const versionBody = z.object({
  messages: messagesInput,
  model: z.string().min(1).max(128).describe("Catalog slug, e.g. mock/echo or openai/gpt-4o-mini"),
  params: paramsInput.optional(),
  commit_message: z.string().max(2000).optional(),
});
const version = z
  .object({
    id: z.string(),
    prompt_id: z.string(),
    version: z.number().int(),
    messages: z.array(messageOutput),
    model: z.string(),
    params: z.record(z.string(), z.unknown()),
    variables: z.array(z.string()),
    commit_message: z.string(),
    author_user_id: z.string().nullable(),
    author_api_key_id: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "PromptVersion" });
const prompt = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    latest_version: z.number().int(),
    labels: z.record(z.string(), z.number().int()).describe("label → version number"),
    created_by_user_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Prompt" });
const promptWithVersion = prompt.extend({ version: version.nullable() }).meta({ id: "PromptWithVersion" });
const tag = z.string().min(1).max(64);
const label = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' or '-'");
const promptParams = z.object({ promptId: z.string().min(1).max(64) });
const P = { promptId: "prompt" };

export function registerPromptRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["prompts"];

  r.get(
    "/api/v1/prompts",
    {
      config: { rules: { permission: "prompts:read" } },
      schema: {
        tags,
        summary: "List prompts, most recently changed first",
        querystring: paginationQuery.extend({ search: z.string().max(200).optional(), tag: tag.optional() }),
        response: { 200: z.object({ data: z.array(prompt), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => svc.listPrompts(deps, ctxOf(req), req.query),
  );

  r.post(
    "/api/v1/prompts",
    {
      config: { rules: { permission: "prompts:write", audit: "prompt.create" } },
      schema: {
        tags,
        summary: "Create a prompt, optionally with its first version",
        body: z.object({
          name: z.string().min(1).max(200),
          description: z.string().max(5000).optional(),
          tags: z.array(tag).max(50).optional(),
          version: versionBody.optional(),
        }),
        response: { 201: promptWithVersion, 409: errorResponses[409] },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.createPrompt(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/prompts/:promptId",
    {
      config: { rules: { permission: "prompts:read", params: P } },
      schema: {
        tags,
        summary: "A prompt with its latest version",
        params: promptParams,
        response: { 200: promptWithVersion, 404: errorResponses[404] },
      },
    },
    async (req) => svc.getPrompt(deps, ctxOf(req), req.params.promptId),
  );

  r.patch(
    "/api/v1/prompts/:promptId",
    {
      config: { rules: { permission: "prompts:write", audit: "prompt.update", params: P } },
      schema: {
        tags,
        summary: "Rename, describe or tag a prompt (the template changes through new versions)",
        params: promptParams,
        body: z.object({
          name: z.string().min(1).max(200).optional(),
          description: z.string().max(5000).optional(),
          tags: z.array(tag).max(50).optional(),
        }),
        response: { 200: prompt },
      },
    },
    async (req) => svc.updatePrompt(deps, ctxOf(req), req.params.promptId, req.body),
  );

  r.delete(
    "/api/v1/prompts/:promptId",
    {
      config: { rules: { permission: "prompts:write", audit: "prompt.delete", params: P } },
      schema: {
        tags,
        summary: "Delete a prompt and its versions (executions are kept)",
        params: promptParams,
      },
    },
    async (req, reply) => {
      await svc.deletePrompt(deps, ctxOf(req), req.params.promptId);
      return reply.status(204).send();
    },
  );

  r.get(
    "/api/v1/prompts/:promptId/versions",
    {
      config: { rules: { permission: "prompts:read", params: P } },
      schema: {
        tags,
        summary: "Version history, newest first",
        params: promptParams,
        response: { 200: z.object({ data: z.array(version) }) },
      },
    },
    async (req) => ({ data: await svc.listVersions(deps, ctxOf(req), req.params.promptId) }),
  );

  r.post(
    "/api/v1/prompts/:promptId/versions",
    {
      config: { rules: { permission: "prompts:write", audit: "prompt_version.create", params: P } },
      schema: {
        tags,
        summary: "Create the next immutable version",
        params: promptParams,
        body: versionBody,
        response: { 201: version },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await svc.createVersion(deps, ctxOf(req), req.params.promptId, req.body)),
  );

  r.get(
    "/api/v1/prompts/:promptId/versions/:version",
    {
      config: { rules: { permission: "prompts:read", params: { ...P, version: "version" } } },
      schema: {
        tags,
        summary: "One version",
        params: promptParams.extend({ version: z.coerce.number().int().min(1).max(2_147_483_647) }),
        response: { 200: version },
      },
    },
    async (req) => svc.getVersion(deps, ctxOf(req), req.params.promptId, req.params.version),
  );

  r.put(
    "/api/v1/prompts/:promptId/labels/:label",
    {
      config: {
        rules: { permission: "prompts:write", audit: "prompt_label.set", params: { ...P, label: "label" } },
      },
      schema: {
        tags,
        summary: "Point a label (e.g. production) at a version",
        params: promptParams.extend({ label }),
        body: z.object({ version: z.number().int().min(1).max(2_147_483_647) }),
        response: { 200: z.object({ prompt_id: z.string(), label: z.string(), version: z.number().int() }) },
      },
    },
    async (req) => svc.setLabel(deps, ctxOf(req), req.params.promptId, req.params.label, req.body.version),
  );

  r.delete(
    "/api/v1/prompts/:promptId/labels/:label",
    {
      config: {
        rules: {
          permission: "prompts:write",
          audit: "prompt_label.delete",
          params: { ...P, label: "label" },
        },
      },
      schema: { tags, summary: "Remove a label", params: promptParams.extend({ label }) },
    },
    async (req, reply) => {
      await svc.deleteLabel(deps, ctxOf(req), req.params.promptId, req.params.label);
      return reply.status(204).send();
    },
  );
}
