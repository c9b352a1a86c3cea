import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  skipReason,
  waitFor,
} from "../../../test/helpers/harness.ts";
import { inTransaction } from "../../lib/db.ts";
import { type JobHandler, JobRunner, PermanentJobError } from "./runner.ts";
import { cancelJob, enqueueJob, getJob } from "./service.ts";

const fast = { concurrency: 4, leaseMs: 1000, pollMs: 20, backoffBaseMs: 20, backoffMaxMs: 100 };

describe.skipIf(skipReason)("durable job runner", () => {
  let h: Harness;
  const runners: JobRunner[] = [];
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    for (const r of runners) await r.stop(500);
    await h?.close();
  });

  const runner = (handlers: Record<string, JobHandler>, opts: Partial<typeof fast> = {}) => {
    const r = new JobRunner(h.deps, handlers, { ...fast, ...opts });
    runners.push(r);
    r.start();
    return r;
  };
  const enqueue = (
    kind: string,
    payload: Record<string, unknown> = {},
    maxAttempts = 3,
    orgId: string | null = null,
  ) => inTransaction(h.deps.db, (tx) => enqueueJob(tx, { orgId, kind, payload, maxAttempts, total: 3 }));
  const statusOf = async (id: string) => (await getJob(h.deps, id))?.status;

  it("runs a job, reports progress through the API, and marks it succeeded", async () => {
    const org = await createOrg(h);
    runner({
      "t.progress": async (_d, ctx) => {
        for (let i = 1; i <= 3; i++) await ctx.progress({ done: i, total: 3, failed: 0 });
      },
    });
    const job = await enqueue("t.progress", {}, 3, org.orgId);
    await waitFor(async () => (await statusOf(job.id)) === "succeeded");
    const res = await h.inject({ method: "GET", url: `/api/v1/jobs/${job.id}`, headers: org.key });
    expect(json(res)).toMatchObject({
      status: "succeeded",
      progress: { done: 3, total: 3, failed: 0 },
      attempts: 1,
    });
    const other = await createOrg(h);
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/jobs/${job.id}`, headers: other.key })).statusCode,
    ).toBe(404);
  });

  it("retries with backoff, then keeps the job as dead with its last error", async () => {
    let calls = 0;
    runner({
      "t.flaky": async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
    });
    const job = await enqueue("t.flaky", {}, 3);
    const dead = await waitFor(async () => {
      const j = await getJob(h.deps, job.id);
      return j?.status === "dead" ? j : null;
    });
    expect(dead.attempts).toBe(3);
    expect(dead.last_error).toBe("boom 3");
    expect(calls).toBe(3);
  });

  it("succeeds on a later attempt after transient failures", async () => {
    let calls = 0;
    runner({
      "t.transient": async () => {
        calls++;
        if (calls < 2) throw new Error("transient");
      },
    });
    const job = await enqueue("t.transient", {}, 5);
    await waitFor(async () => (await statusOf(job.id)) === "succeeded");
    expect((await getJob(h.deps, job.id))?.attempts).toBe(2);
  });

  it("fails at once on a permanent error", async () => {
    runner({
      "t.permanent": async () => {
        throw new PermanentJobError("bad definition");
      },
    });
    const job = await enqueue("t.permanent", {}, 5);
    await waitFor(async () => (await statusOf(job.id)) === "failed");
    expect((await getJob(h.deps, job.id))?.attempts).toBe(1);
  });

  it("reclaims a job whose worker died once its lease lapses", async () => {
    const ran: string[] = [];
    const job = await enqueue("t.orphan");
    // A worker claimed it, then died (kill -9): running, lease in the past.
    await sql`UPDATE jobs SET status = 'running', locked_by = 'dead-worker', attempts = 1,
      locked_until = now() - interval '1 second' WHERE id = ${job.id}`.execute(h.deps.db);
    runner({
      "t.orphan": async (_d, ctx) => {
        ran.push(ctx.job.locked_by ?? "");
      },
    });
    await waitFor(async () => (await statusOf(job.id)) === "succeeded");
    expect(ran).toHaveLength(1);
    expect(ran[0]).not.toBe("dead-worker");
  });

  it("never runs a job twice with several runners competing", async () => {
    const counts = new Map<string, number>();
    const handler: JobHandler = async (_d, ctx) => {
      counts.set(ctx.job.id, (counts.get(ctx.job.id) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    };
    for (let i = 0; i < 3; i++) runner({ "t.compete": handler });
    const jobs = await Promise.all(Array.from({ length: 24 }, () => enqueue("t.compete")));
    await waitFor(async () => {
      const r = await h.deps.db
        .selectFrom("jobs")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("kind", "=", "t.compete")
        .where("status", "=", "succeeded")
        .executeTakeFirst();
      return Number(r?.n) === 24;
    });
    for (const j of jobs) expect(counts.get(j.id), j.id).toBe(1);
  });

  it("cancels a queued job at once and a running one through its signal", async () => {
    const q = await enqueue("t.never-claimed");
    expect(await inTransaction(h.deps.db, (tx) => cancelJob(tx, q.id))).toBe("cancelled");
    expect(await statusOf(q.id)).toBe("cancelled");

    let sawAbort = false;
    runner({
      "t.long": async (_d, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        sawAbort = ctx.abortReason() === "cancelled";
      },
    });
    const job = await enqueue("t.long");
    await waitFor(async () => (await statusOf(job.id)) === "running");
    expect(await inTransaction(h.deps.db, (tx) => cancelJob(tx, job.id))).toBe("cancelling");
    await waitFor(async () => (await statusOf(job.id)) === "cancelled");
    expect(sawAbort).toBe(true);
  });

  it("on shutdown releases unfinished work for another replica, without spending an attempt", async () => {
    const a = new JobRunner(
      h.deps,
      {
        "t.drain": async (_d, ctx) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          throw new Error("interrupted");
        },
      },
      fast,
    );
    a.start();
    const job = await enqueue("t.drain");
    await waitFor(async () => (await statusOf(job.id)) === "running");
    await a.stop(100);
    const released = await getJob(h.deps, job.id);
    expect(released).toMatchObject({ status: "queued", attempts: 0, locked_by: null });
    runner({ "t.drain": async () => {} });
    await waitFor(async () => (await statusOf(job.id)) === "succeeded");
  });
});
