import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, paginationQuery, typed } from "../../lib/http.ts";
import { listAuditLogs } from "./service.ts";

const entry = z
  .object({
    id: z.string(),
    actor_type: z.enum(["user", "api_key", "system"]),
    actor_id: z.string().nullable(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    summary: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "AuditLogEntry" });

export function registerAuditRoutes(app: FastifyInstance, deps: Deps): void {
  typed(app).get(
    "/api/v1/audit-logs",
    {
      config: { rules: { permission: "audit:read" } },
      schema: {
        tags: ["audit"],
        summary: "The organization's audit log, newest first",
        querystring: paginationQuery.extend({
          action: z.string().max(100).optional(),
          resource_type: z.string().max(100).optional(),
          resource_id: z.string().max(200).optional(),
          actor_id: z.string().max(64).optional(),
        }),
        response: { 200: z.object({ data: z.array(entry), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => listAuditLogs(deps, ctxOf(req), req.query),
  );
}
