import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { notFound } from "../../lib/errors.ts";
import { ctxOf, typed } from "../../lib/http.ts";
import { getJob, jobView } from "./service.ts";

export const jobSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.enum(["queued", "running", "succeeded", "failed", "dead", "cancelled"]),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    progress: z.object({ done: z.number().int(), total: z.number().int(), failed: z.number().int() }),
    last_error: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "Job" });

export function registerJobRoutes(app: FastifyInstance, deps: Deps): void {
  typed(app).get(
    "/api/v1/jobs/:jobId",
    {
      config: { rules: { permission: "executions:read", params: { jobId: "job" } } },
      schema: {
        tags: ["jobs"],
        summary: "A background job's status and progress (done, total, failed)",
        params: z.object({ jobId: z.string().min(1).max(64) }),
        response: { 200: jobSchema },
      },
    },
    async (req) => {
      const ctx = ctxOf(req);
      const job = await getJob(deps, req.params.jobId);
      if (!job || job.organization_id !== ctx.actor.orgId) throw notFound("Job");
      return jobView(job);
    },
  );
}
