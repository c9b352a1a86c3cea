import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, typed } from "../../lib/http.ts";
import { permissions } from "../auth/permissions.ts";
import * as svc from "./service.ts";

const apiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The first characters of the key; not secret"),
    scopes: z.array(z.string()),
    created_by_user_id: z.string().nullable(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "ApiKey" });
const keyParams = z.object({ keyId: z.string().min(1).max(64) });

export function registerKeyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["api-keys"];

  r.get(
    "/api/v1/api-keys",
    {
      config: { rules: { permission: "keys:read" } },
      schema: { tags, summary: "List API keys", response: { 200: z.object({ data: z.array(apiKey) }) } },
    },
    async (req) => ({ data: await svc.listKeys(deps, ctxOf(req)) }),
  );

  r.post(
    "/api/v1/api-keys",
    {
      config: { rules: { permission: "keys:manage", audit: "api_key.create" } },
      schema: {
        tags,
        summary: "Create an API key; the secret is in this response only",
        body: z.object({
          name: z.string().min(1).max(200),
          scopes: z.array(z.enum(permissions)).max(permissions.length).optional(),
          expires_at: z.string().datetime({ offset: true }).optional(),
        }),
        response: {
          201: apiKey.extend({ key: z.string().describe("lk_… — shown once") }),
          403: errorResponses[403],
        },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.createKey(deps, ctxOf(req), req.body)),
  );

  r.get(
    "/api/v1/api-keys/:keyId",
    {
      config: { rules: { permission: "keys:read", params: { keyId: "api_key" } } },
      schema: {
        tags,
        summary: "One API key",
        params: keyParams,
        response: { 200: apiKey, 404: errorResponses[404] },
      },
    },
    async (req) => svc.getKey(deps, ctxOf(req), req.params.keyId),
  );

  r.delete(
    "/api/v1/api-keys/:keyId",
    {
      config: { rules: { permission: "keys:manage", audit: "api_key.revoke", params: { keyId: "api_key" } } },
      schema: {
        tags,
        summary: "Revoke an API key (it stops working at once on this replica)",
        params: keyParams,
        response: { 200: apiKey },
      },
    },
    async (req) => svc.revokeKey(deps, ctxOf(req), req.params.keyId),
  );
}
