import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { Deps } from "../../deps.ts";
import { AppError } from "../../lib/errors.ts";
import { SESSION_COOKIE } from "../auth/routes.ts";
import { actorFromRequest } from "../auth/service.ts";

function tokenMatches(expected: string | undefined, header: string | undefined): boolean {
  if (!expected || !header) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may read /metrics and /api/v1/health/detailed on the main port: a scraper holding
 * LECTERN_METRICS_TOKEN, or an org admin (session or key with org:manage). Nobody else: these endpoints
 * are never public by accident.
 */
export async function requireOperator(deps: Deps, req: FastifyRequest): Promise<void> {
  if (tokenMatches(deps.config.LECTERN_METRICS_TOKEN, req.headers.authorization)) return;
  const actor = await actorFromRequest(deps, req.headers, req.cookies?.[SESSION_COOKIE]);
  if (!actor)
    throw new AppError(
      "unauthenticated",
      "Send the metrics token (LECTERN_METRICS_TOKEN) or an admin's credentials",
    );
  if (!actor.permissions.has("org:manage"))
    throw new AppError("forbidden", "Only admins or the metrics scraper may read this");
}

async function render(deps: Deps) {
  return { body: await deps.metrics.registry.metrics(), contentType: deps.metrics.registry.contentType };
}

export function registerMetricsRoutes(app: FastifyInstance, deps: Deps): void {
  // With a dedicated metrics port, the main port does not serve /metrics at all.
  if (deps.config.LECTERN_METRICS_PORT) return;
  app.get(
    "/metrics",
    {
      config: { rules: { auth: "public" } },
      schema: {
        tags: ["observability"],
        summary: "Prometheus metrics (Bearer LECTERN_METRICS_TOKEN or an admin); see docs/observability.md",
      },
    },
    async (req, reply) => {
      await requireOperator(deps, req);
      const { body, contentType } = await render(deps);
      return reply.type(contentType).send(body);
    },
  );
}

/**
 * The dedicated metrics listener (LECTERN_METRICS_PORT): /metrics only, no auth, meant to be reachable by
 * the scraper alone (a NetworkPolicy in the Helm chart enforces it).
 */
export async function startMetricsServer(deps: Deps): Promise<FastifyInstance | null> {
  const port = deps.config.LECTERN_METRICS_PORT;
  if (!port) return null;
  const server = Fastify({ logger: false });
  server.get("/metrics", async (_req, reply) => {
    const { body, contentType } = await render(deps);
    return reply.type(contentType).send(body);
  });
  await server.listen({ port, host: deps.config.LECTERN_METRICS_HOST });
  return server;
}
