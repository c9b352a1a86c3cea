import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { Deps } from "../../deps.ts";
import { pendingMigrations } from "../../lib/migrate.ts";
import { requireOperator } from "../metrics/routes.ts";
import { detailedHealth } from "./service.ts";

/** Liveness and readiness stay cheap: no auth, one round trip at most. The detailed report is for operators. */
export function registerHealthRoutes(app: FastifyInstance, deps: Deps): void {
  app.get(
    "/healthz",
    { config: { rules: { auth: "public" } }, schema: { tags: ["health"], summary: "Liveness" } },
    async () => ({
      status: "ok",
    }),
  );

  app.get(
    "/readyz",
    {
      config: { rules: { auth: "public" } },
      schema: { tags: ["health"], summary: "Readiness: database reachable and migrations applied" },
    },
    async (_req, reply) => {
      try {
        await sql`SELECT 1`.execute(deps.db);
        const pending = await pendingMigrations(deps.db);
        if (pending.length)
          return reply.status(503).send({ status: "not_ready", reason: "pending migrations", pending });
        return { status: "ready", database: deps.dbHandle.driver };
      } catch {
        return reply.status(503).send({ status: "not_ready", reason: "database unreachable" });
      }
    },
  );

  app.get(
    "/api/v1/health/detailed",
    {
      config: { rules: { auth: "public" } },
      schema: {
        tags: ["health"],
        summary:
          "Component health: database (latency, pool), Redis, job queue, providers; 503 when a required one is down",
        description: "Admins, or the metrics token (Bearer LECTERN_METRICS_TOKEN).",
      },
    },
    async (req, reply) => {
      await requireOperator(deps, req);
      const report = await detailedHealth(deps);
      return reply.status(report.healthy ? 200 : 503).send(report.body);
    },
  );
}
