import type { Deps } from "../../deps.ts";
import type { Conn } from "../../lib/db.ts";
import type { JobProgress, JobRow } from "../../lib/db-types.ts";
import { newId } from "../../lib/ids.ts";
import * as q from "./queries.ts";

/** Enqueue inside the caller's transaction: the job exists exactly when the domain row that needs it does. */
export function enqueueJob(
  tx: Conn,
  input: {
    orgId: string | null;
    kind: string;
    payload: Record<string, unknown>;
    maxAttempts?: number;
    total?: number;
  },
) {
  return q.insertJob(tx, {
    id: newId("job"),
    organization_id: input.orgId,
    kind: input.kind,
    payload: JSON.stringify(input.payload),
    max_attempts: input.maxAttempts ?? 5,
    run_at: new Date(),
    progress: JSON.stringify({ done: 0, total: input.total ?? 0, failed: 0 } satisfies JobProgress),
  });
}

/** After the enqueuing transaction committed: start it now on this process rather than at the next poll. */
export function wakeRunner(deps: Deps): void {
  deps.jobRunner?.wake();
}

export const getJob = (deps: Deps, id: string): Promise<JobRow | undefined> => q.getJob(deps.db, id);

/** Ask a job to stop: a queued job is cancelled at once; a running one when its worker next renews its lease. */
export async function cancelJob(tx: Conn, id: string): Promise<"cancelled" | "cancelling" | "finished"> {
  const r = await q.requestCancel(tx, id);
  const status = r.rows[0]?.status;
  if (!status) return "finished";
  return status === "cancelled" ? "cancelled" : "cancelling";
}

export const queueStats = (deps: Deps) => q.queueStats(deps.db);

export function jobView(j: JobRow) {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    attempts: j.attempts,
    max_attempts: j.max_attempts,
    progress: j.progress as JobProgress,
    last_error: j.last_error,
    created_at: new Date(j.created_at).toISOString(),
    finished_at: j.finished_at ? new Date(j.finished_at).toISOString() : null,
  };
}
