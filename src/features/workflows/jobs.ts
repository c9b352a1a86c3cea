import type { JobHandler } from "../jobs/runner.ts";
import { executeRun, type RunPayload } from "./engine.ts";

/** The job kinds workflows enqueue; listed in features/jobs/handlers.ts. */
export const workflowJobHandlers: Record<string, JobHandler> = {
  workflow_run: (deps, job) => executeRun(deps, job, job.job.payload as RunPayload),
};
