import { evaluationJobHandlers } from "../evaluations/jobs.ts";
import { workflowJobHandlers } from "../workflows/jobs.ts";
import type { JobHandler } from "./runner.ts";

/**
 * Every job kind this build can run, by kind. A feature that enqueues jobs exports its handlers and is
 * listed here, so main.ts and the test harness start runners that know all of them.
 */
export const jobHandlers: Record<string, JobHandler> = { ...evaluationJobHandlers, ...workflowJobHandlers };
