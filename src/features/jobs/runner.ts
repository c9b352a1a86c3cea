import { hostname } from "node:os";
import type { Deps } from "../../deps.ts";
import { randomToken } from "../../lib/crypto.ts";
import type { JobProgress, JobRow } from "../../lib/db-types.ts";
import * as q from "./queries.ts";

export type AbortReason = "shutdown" | "cancelled" | "lease_lost";

/** What a handler gets: the job, a signal (shutdown, cancel or lost lease), and a progress reporter. */
export interface JobContext {
  job: JobRow;
  signal: AbortSignal;
  /** why the signal fired, once it has */
  abortReason(): AbortReason | null;
  progress(p: JobProgress): Promise<void>;
}

export type JobHandler = (deps: Deps, ctx: JobContext) => Promise<void>;

/** Throw from a handler for a failure that retrying cannot fix: the job ends as `failed` at once. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

export interface RunnerOptions {
  workerId?: string;
  /** jobs run at once by this process */
  concurrency: number;
  /** how long a claim lasts without renewal; a dead worker's job is reclaimed after this */
  leaseMs: number;
  /** idle polling interval (enqueue on this process wakes the runner at once) */
  pollMs: number;
  /** retry delay: base × 2^(attempt-1), capped */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * The durable job runner: N processes share the `jobs` table; each claims with FOR UPDATE SKIP LOCKED,
 * renews its lease while working, and retries with exponential backoff until max_attempts, after which
 * the job is kept as `dead` with its last error. On stop() in-flight jobs get `drainMs` to finish, then are
 * aborted and released for another replica.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly deps: Deps;
  private readonly handlers: Record<string, JobHandler>;
  private readonly opts: RunnerOptions;
  private readonly running = new Map<string, { abort: (why: AbortReason) => void; done: Promise<void> }>();
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private polling = false;

  constructor(deps: Deps, handlers: Record<string, JobHandler>, opts: RunnerOptions) {
    this.deps = deps;
    this.handlers = handlers;
    this.opts = opts;
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomToken(4)}`;
  }

  start(): void {
    this.stopping = false;
    this.schedule(0);
  }

  /** Poll now (called after an enqueue on this process). */
  wake(): void {
    if (!this.stopping) this.schedule(0);
  }

  get inFlight(): number {
    return this.running.size;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.stopping || this.polling) return;
    this.polling = true;
    try {
      while (!this.stopping && this.running.size < this.opts.concurrency) {
        const claimed = await this.runOnce();
        if (!claimed) break;
      }
    } catch (err) {
      this.deps.log.error({ err }, "job runner poll failed");
    } finally {
      this.polling = false;
      if (!this.stopping) this.schedule(this.opts.pollMs);
    }
  }

  /** Claim one job and start it; false when nothing was runnable. Exposed for tests. */
  async runOnce(): Promise<boolean> {
    const job = await q.claimJob(this.deps.db, this.workerId, Object.keys(this.handlers), this.opts.leaseMs);
    if (!job) return false;
    const handler = this.handlers[job.kind];
    if (!handler) return false;
    const controller = new AbortController();
    let reason: AbortReason | null = null;
    const abort = (why: AbortReason) => {
      if (!reason) {
        reason = why;
        controller.abort(new Error(why));
      }
    };
    const renew = setInterval(
      () => {
        q.renewLease(this.deps.db, job.id, this.workerId, this.opts.leaseMs)
          .then((r) => {
            if (!r.held) abort("lease_lost");
            else if (r.cancel) abort("cancelled");
          })
          .catch((err) => this.deps.log.warn({ err, job_id: job.id }, "lease renewal failed"));
      },
      Math.max(50, Math.floor(this.opts.leaseMs / 3)),
    );
    renew.unref();
    const ctx: JobContext = {
      job,
      signal: controller.signal,
      abortReason: () => reason,
      progress: (p) => q.setProgress(this.deps.db, job.id, this.workerId, p).then(() => undefined),
    };
    const done = (async () => {
      try {
        // A cancel that arrived while no worker held the job still reaches the handler (with the signal
        // already aborted), so it can close its own run record.
        if (job.cancel_requested) abort("cancelled");
        await handler(this.deps, ctx);
        clearInterval(renew);
        if (reason === "cancelled")
          await q.finishJob(this.deps.db, job.id, this.workerId, { status: "cancelled" });
        else if (reason === "shutdown") await q.releaseJob(this.deps.db, job.id, this.workerId);
        else if (reason !== "lease_lost")
          await q.finishJob(this.deps.db, job.id, this.workerId, { status: "succeeded", last_error: null });
      } catch (err) {
        clearInterval(renew);
        await this.handleFailure(job, err, reason);
      } finally {
        this.running.delete(job.id);
        if (!this.stopping) this.schedule(0);
      }
    })();
    this.running.set(job.id, { abort, done });
    return true;
  }

  private async handleFailure(job: JobRow, err: unknown, reason: AbortReason | null) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      if (reason === "shutdown") {
        await q.releaseJob(this.deps.db, job.id, this.workerId);
      } else if (reason === "cancelled") {
        await q.finishJob(this.deps.db, job.id, this.workerId, { status: "cancelled", last_error: null });
      } else if (reason === "lease_lost") {
        // another worker owns it now; nothing to write
      } else if (err instanceof PermanentJobError) {
        await q.finishJob(this.deps.db, job.id, this.workerId, { status: "failed", last_error: message });
      } else if (job.attempts >= job.max_attempts) {
        this.deps.log.error(
          { job_id: job.id, kind: job.kind, attempts: job.attempts, err },
          "job is dead after its last attempt",
        );
        await q.finishJob(this.deps.db, job.id, this.workerId, { status: "dead", last_error: message });
      } else {
        const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (job.attempts - 1));
        this.deps.log.warn(
          { job_id: job.id, kind: job.kind, attempt: job.attempts, retry_in_ms: delay, err },
          "job failed; will retry",
        );
        await q.retryJob(this.deps.db, job.id, this.workerId, new Date(Date.now() + delay), message);
      }
    } catch (writeErr) {
      // The lease lapses and another worker retries it: nothing is lost.
      this.deps.log.error({ err: writeErr, job_id: job.id }, "could not record job failure");
    }
  }

  /** Stop claiming; give in-flight jobs drainMs to finish, then abort them and release them to other replicas. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const all = [...this.running.values()];
    if (all.length === 0) return;
    const drained = Promise.all(all.map((r) => r.done)).then(() => true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainMs).unref());
    if (await Promise.race([drained, timeout])) return;
    // Handlers see the abort and return or throw; runOnce then releases each job for another replica.
    for (const r of this.running.values()) r.abort("shutdown");
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
