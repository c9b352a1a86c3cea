import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, typed } from "../../lib/http.ts";
import * as svc from "./service.ts";

const credential = z
  .object({
    id: z.string(),
    provider: z.enum(["openai", "anthropic", "gemini", "openai-compatible"]),
    name: z.string(),
    base_url: z.string().nullable(),
    key_hint: z.string().describe("A masked hint of the secret; the secret itself is never returned"),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "ProviderCredential" });
const params = z.object({ providerId: z.string().min(1).max(64) });
const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' or '-'");
const baseUrl = z
  .string()
  .url()
  .max(2000)
  .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");

export function registerProviderRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["providers"];

  r.get(
    "/api/v1/providers",
    {
      config: { rules: { permission: "providers:read" } },
      schema: {
        tags,
        summary: "Provider credentials (secrets masked)",
        response: { 200: z.object({ data: z.array(credential) }) },
      },
    },
    async (req) => ({ data: await svc.listCredentials(deps, ctxOf(req)) }),
  );

  r.post(
    "/api/v1/providers",
    {
      config: { rules: { permission: "providers:manage", audit: "provider_credential.create" } },
      schema: {
        tags,
        summary: "Store a provider credential, encrypted at rest",
        body: z.object({
          provider: z.enum(["openai", "anthropic", "gemini", "openai-compatible"]),
          name: name.optional(),
          api_key: z.string().min(1).max(4096),
          base_url: baseUrl.optional(),
        }),
        response: { 201: credential, 409: errorResponses[409] },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.createCredential(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/providers/:providerId",
    {
      config: { rules: { permission: "providers:read", params: { providerId: "provider_credential" } } },
      schema: { tags, summary: "One provider credential", params, response: { 200: credential } },
    },
    async (req) => svc.getCredential(deps, ctxOf(req), req.params.providerId),
  );

  r.patch(
    "/api/v1/providers/:providerId",
    {
      config: {
        rules: {
          permission: "providers:manage",
          audit: "provider_credential.update",
          params: { providerId: "provider_credential" },
        },
      },
      schema: {
        tags,
        summary: "Rename, move or rotate a provider credential",
        params,
        body: z.object({
          name: name.optional(),
          api_key: z.string().min(1).max(4096).optional(),
          base_url: baseUrl.nullable().optional(),
        }),
        response: { 200: credential },
      },
    },
    async (req) => svc.updateCredential(deps, ctxOf(req), req.params.providerId, req.body),
  );

  r.delete(
    "/api/v1/providers/:providerId",
    {
      config: {
        rules: {
          permission: "providers:manage",
          audit: "provider_credential.delete",
          params: { providerId: "provider_credential" },
        },
      },
      schema: { tags, summary: "Delete a provider credential", params },
    },
    async (req, reply) => {
      await svc.deleteCredential(deps, ctxOf(req), req.params.providerId);
      return reply.status(204).send();
    },
  );
}
