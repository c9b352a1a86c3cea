import { sql } from "kysely";
import type { Conn } from "../../lib/db.ts";
import type { JobProgress, JobRow } from "../../lib/db-types.ts";

export function insertJob(
  db: Conn,
  row: {
    id: string;
    organization_id: string | null;
    kind: string;
    payload: string;
    max_attempts: number;
    run_at: Date;
    progress: string;
  },
) {
  return db.insertInto("jobs").values(row).returningAll().executeTakeFirstOrThrow();
}

/**
 * Claim one runnable job: a queued one whose time has come, or a running one whose lease lapsed (its worker
 * died). SKIP LOCKED lets N workers claim concurrently without ever taking the same row.
 */
export async function claimJob(
  db: Conn,
  workerId: string,
  kinds: string[],
  leaseMs: number,
): Promise<JobRow | undefined> {
  const r = await sql<JobRow>`
    UPDATE jobs SET status = 'running', locked_by = ${workerId},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}),
      attempts = attempts + 1, updated_at = now()
    WHERE id = (
      SELECT id FROM jobs
      WHERE kind = ANY(${kinds}::text[])
        AND ((status = 'queued' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
      ORDER BY run_at, created_at
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return r.rows[0];
}

/** Extend the lease; false when this worker no longer holds the job (it lapsed and another took it). */
export async function renewLease(
  db: Conn,
  id: string,
  workerId: string,
  leaseMs: number,
): Promise<{ held: boolean; cancel: boolean }> {
  const r = await sql<{ cancel_requested: boolean }>`
    UPDATE jobs SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    WHERE id = ${id} AND locked_by = ${workerId} AND status = 'running'
    RETURNING cancel_requested`.execute(db);
  const row = r.rows[0];
  return { held: Boolean(row), cancel: row?.cancel_requested ?? false };
}

export function setProgress(db: Conn, id: string, workerId: string, progress: JobProgress) {
  return db
    .updateTable("jobs")
    .set({ progress: JSON.stringify(progress), updated_at: new Date() })
    .where("id", "=", id)
    .where("locked_by", "=", workerId)
    .execute();
}

export function finishJob(
  db: Conn,
  id: string,
  workerId: string,
  patch: { status: "succeeded" | "failed" | "dead" | "cancelled"; last_error?: string | null },
) {
  return db
    .updateTable("jobs")
    .set({ ...patch, locked_by: null, locked_until: null, finished_at: new Date(), updated_at: new Date() })
    .where("id", "=", id)
    .where("locked_by", "=", workerId)
    .execute();
}

export function retryJob(db: Conn, id: string, workerId: string, runAt: Date, error: string) {
  return db
    .updateTable("jobs")
    .set({
      status: "queued",
      locked_by: null,
      locked_until: null,
      run_at: runAt,
      last_error: error,
      updated_at: new Date(),
    })
    .where("id", "=", id)
    .where("locked_by", "=", workerId)
    .execute();
}

/** Hand a job back untouched (graceful shutdown): the attempt it used is returned too. */
export function releaseJob(db: Conn, id: string, workerId: string) {
  return sql`
    UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL,
      attempts = GREATEST(attempts - 1, 0), run_at = now(), updated_at = now()
    WHERE id = ${id} AND locked_by = ${workerId} AND status = 'running'`.execute(db);
}

export function getJob(db: Conn, id: string) {
  return db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

export function requestCancel(db: Conn, id: string) {
  return sql<{ status: string }>`
    UPDATE jobs SET
      cancel_requested = true,
      status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
      finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
      updated_at = now()
    WHERE id = ${id} AND status IN ('queued', 'running')
    RETURNING status`.execute(db);
}

export async function queueStats(db: Conn) {
  const r = await sql<{ queued: string; running: string; dead: string; oldest: Date | null }>`
    SELECT count(*) FILTER (WHERE status = 'queued')::text AS queued,
           count(*) FILTER (WHERE status = 'running')::text AS running,
           -- recent dead jobs only: one old failure must not mark the queue degraded forever
           count(*) FILTER (WHERE status = 'dead' AND finished_at > now() - interval '24 hours')::text AS dead,
           min(created_at) FILTER (WHERE status = 'queued') AS oldest
    FROM jobs WHERE status IN ('queued', 'running', 'dead')`.execute(db);
  const row = r.rows[0];
  return {
    queued: Number(row?.queued ?? 0),
    running: Number(row?.running ?? 0),
    dead: Number(row?.dead ?? 0),
    oldestQueuedAt: row?.oldest ? new Date(row.oldest) : null,
  };
}
