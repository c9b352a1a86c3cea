import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, decodeCursor, encodeCursor, paginationQuery, typed } from "../../lib/http.ts";

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
    async (req) => {
      const ctx = ctxOf(req);
      const f = req.query;
      let q = deps.db.selectFrom("audit_logs").selectAll().where("organization_id", "=", ctx.actor.orgId);
      if (f.action) q = q.where("action", "=", f.action);
      if (f.resource_type) q = q.where("resource_type", "=", f.resource_type);
      if (f.resource_id) q = q.where("resource_id", "=", f.resource_id);
      if (f.actor_id) q = q.where("actor_id", "=", f.actor_id);
      if (f.cursor) {
        const a = decodeCursor(f.cursor);
        q = q.where((eb) =>
          eb.or([
            eb("created_at", "<", a.createdAt),
            eb.and([eb("created_at", "=", a.createdAt), eb("id", "<", a.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(f.limit + 1)
        .execute();
      const page = rows.slice(0, f.limit);
      const last = page[page.length - 1];
      return {
        data: page.map((e) => ({
          ...e,
          summary: e.summary as Record<string, unknown>,
          created_at: new Date(e.created_at).toISOString(),
        })),
        next_cursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
      };
    },
  );
}
