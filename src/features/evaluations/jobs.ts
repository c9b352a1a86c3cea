import type { JobHandler } from "../jobs/runner.ts";
import { executeRun } from "./execute.ts";
import { EVALUATION_JOB } from "./service.ts";

/** The evaluation feature's job kinds, listed in src/features/jobs/handlers.ts. */
export const evaluationJobHandlers: Record<string, JobHandler> = {
  [EVALUATION_JOB]: (deps, ctx) => executeRun(deps, ctx),
};
