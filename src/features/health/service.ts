import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import type { Deps } from "../../deps.ts";
import { pendingMigrations } from "../../lib/migrate.ts";
import { queueStats } from "../jobs/service.ts";

type ComponentStatus = "ok" | "down" | "degraded" | "not_configured";

/**
 * The detailed health report. Required components (the database) make the whole report "down" (503);
 * optional ones only degrade it. Components that arrive with later features report "not_configured".
 */
export async function detailedHealth(deps: Deps) {
  const start = performance.now();
  let database: Record<string, unknown>;
  try {
    await sql`SELECT 1`.execute(deps.db);
    const latencyMs = Math.round((performance.now() - start) * 100) / 100;
    const pending = await pendingMigrations(deps.db);
    database = {
      status: (pending.length ? "degraded" : "ok") as ComponentStatus,
      driver: deps.dbHandle.driver,
      latency_ms: latencyMs,
      pool: deps.dbHandle.poolStats(),
      pending_migrations: pending,
    };
  } catch (err) {
    database = {
      status: "down" as ComponentStatus,
      driver: deps.dbHandle.driver,
      error: (err as Error).message,
      pool: deps.dbHandle.poolStats(),
    };
  }
  const providers = Object.fromEntries(
    [...deps.metrics.providerStatus.entries()].map(([name, s]) => [
      name,
      {
        status: (s.lastError && (!s.lastSuccessAt || s.lastError.at > s.lastSuccessAt)
          ? "degraded"
          : "ok") as ComponentStatus,
        calls: s.calls,
        errors: s.errors,
        last_success_at: s.lastSuccessAt,
        last_error: s.lastError,
        // Circuit breakers arrive with the performance issue; until then there is no circuit to report.
        circuit: null,
      },
    ]),
  );
  let jobQueue: Record<string, unknown>;
  try {
    const q = await queueStats(deps);
    jobQueue = {
      status: (q.dead > 0 ? "degraded" : "ok") as ComponentStatus,
      depth: q.queued,
      running: q.running,
      dead_last_24h: q.dead,
      oldest_queued_at: q.oldestQueuedAt?.toISOString() ?? null,
      oldest_queued_age_seconds: q.oldestQueuedAt
        ? Math.round((Date.now() - q.oldestQueuedAt.getTime()) / 1000)
        : 0,
      worker: deps.jobRunner ? { id: deps.jobRunner.workerId, in_flight: deps.jobRunner.inFlight } : null,
    };
  } catch (err) {
    jobQueue = { status: "down" as ComponentStatus, error: (err as Error).message };
  }
  const components = {
    database,
    redis: { status: "not_configured" as ComponentStatus },
    job_queue: jobQueue,
    providers,
  };
  const down = database.status === "down";
  const degraded =
    database.status === "degraded" ||
    jobQueue.status !== "ok" ||
    Object.values(providers).some((p) => p.status !== "ok");
  return {
    healthy: !down,
    body: {
      status: down ? "down" : degraded ? "degraded" : "ok",
      version: deps.version,
      build: { node: process.version, mode: deps.config.mode, db_driver: deps.dbHandle.driver },
      uptime_seconds: Math.round((deps.clock.now().getTime() - deps.startedAt.getTime()) / 1000),
      components,
    },
  };
}
