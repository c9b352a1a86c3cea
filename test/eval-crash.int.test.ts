import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { createPgliteDb, type Db } from "../src/lib/db.ts";
import { formatCost, parseCost } from "../src/lib/money.ts";
import { createHarness, createOrg, dbKind, type Harness, skipReason, waitFor } from "./helpers/harness.ts";

/**
 * Evaluations survive the process: the real `lectern serve`, killed with SIGKILL in the middle of a run and
 * started again on the same data, finishes the run with every cell executed (and billed) exactly once; and on
 * PostgreSQL two servers sharing one queue never run a job twice.
 */

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "lectern.js");
const LISTENING = /^Lectern \S+ listening on (http:\/\/\S+) /m;

interface Server {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
const dirs: string[] = [];

afterAll(async () => {
  // Whatever failed, no server outlives the suite.
  const left = [...running];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(
    left.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("close", r)),
    ),
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [bin, "serve"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      PORT: "0",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = LISTENING.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      resolve(m[1]);
    };
    child.stdout?.on("data", check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`lectern serve exited (${code}, ${signal}) before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

async function api<T = Record<string, unknown>>(
  s: Server,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

interface Run {
  id: string;
  status: string;
  job_id: string;
  progress: { done: number; total: number; failed: number };
  cost_usd: { total: string };
}

/** A prompt and an n-item dataset, through the API; returns a run body for them. */
async function setUp(s: Server, key: string, items: number) {
  const p = await api<{ id: string }>(s, key, "POST", "/api/v1/prompts", {
    name: `crash-${Math.random().toString(36).slice(2)}`,
    version: { model: "mock/echo", messages: [{ role: "user", content: "Answer {{q}}" }] },
  });
  const d = await api<{ id: string }>(s, key, "POST", "/api/v1/datasets", {
    name: `crash-${Math.random().toString(36).slice(2)}`,
    items: Array.from({ length: items }, (_, i) => ({
      variables: { q: `q${i}` },
      expected: `Echo: Answer q${i}`,
    })),
  });
  return {
    dataset_id: d.id,
    targets: [{ prompt_id: p.id }],
    models: ["mock/echo", "mock/lorem"],
    evaluators: [{ type: "exact_match" }],
    concurrency: 2,
  };
}

/** What the database says about one run: cells, executions and usage records, each counted. */
async function ledger(db: Db, runId: string) {
  const q = async (query: ReturnType<typeof sql>) =>
    (await query.execute(db)).rows as Array<Record<string, string>>;
  const [results] = await q(sql`SELECT count(*)::int AS n,
      count(DISTINCT (item_id, prompt_version_id, model))::int AS cells FROM evaluation_results WHERE run_id = ${runId}`);
  const [execs] = await q(sql`SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys
      FROM executions WHERE run_id = ${runId}`);
  const [usage] = await q(sql`SELECT count(*)::int AS n, count(DISTINCT u.execution_id)::int AS execs,
      coalesce(sum(u.cost_usd), 0)::text AS cost
      FROM usage_records u JOIN executions e ON e.id = u.execution_id WHERE e.run_id = ${runId}`);
  // every cell's row points at the execution its idempotency key made
  const [linked] = await q(sql`SELECT count(*)::int AS n FROM evaluation_results r JOIN executions e
      ON e.id = r.execution_id
      AND e.idempotency_key = 'eval:' || r.run_id || ':' || r.item_id || ':' || r.prompt_version_id || ':' || r.model
      WHERE r.run_id = ${runId}`);
  return {
    results: Number(results?.n),
    cells: Number(results?.cells),
    executions: Number(execs?.n),
    keys: Number(execs?.keys),
    usage: Number(usage?.n),
    usageExecutions: Number(usage?.execs),
    usageCost: formatCost(parseCost(usage?.cost ?? "0")),
    linked: Number(linked?.n),
  };
}

describe.skipIf(dbKind !== "pglite")("an evaluation killed with SIGKILL midway (embedded mode)", () => {
  it("continues after a restart and executes every cell exactly once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lectern-eval-crash-"));
    dirs.push(dataDir);
    const env = {
      LECTERN_DATA_DIR: dataDir,
      LECTERN_JOB_LEASE_MS: "2000",
      LECTERN_JOB_POLL_MS: "100",
      LECTERN_MOCK_LATENCY_MS: "100",
      LECTERN_JOB_CONCURRENCY: "1",
    };
    const first = await startServer(env);
    const key = /^LECTERN_API_KEY=(lk_\S+)$/m.exec(first.output())?.[1] as string;
    expect(key, first.output()).toBeDefined();
    const body = await setUp(first, key, 40);
    const run = await api<Run>(first, key, "POST", "/api/v1/evaluations/batch", body);
    expect(run.progress.total).toBe(80);

    const midway = await waitFor(
      async () => {
        const r = await api<Run>(first, key, "GET", `/api/v1/evaluations/${run.id}`);
        if (r.progress.done > 35) throw new Error(`ran past the window before the kill: ${r.progress.done}`);
        return r.progress.done >= 5 ? r : null;
      },
      30_000,
      20,
    );
    first.child.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(midway.status).toBe("running");

    const second = await startServer(env);
    const done = await waitFor(
      async () => {
        const r = await api<Run>(second, key, "GET", `/api/v1/evaluations/${run.id}`);
        return r.status === "running" || r.status === "queued" ? null : r;
      },
      60_000,
      100,
    );
    expect(done.status).toBe("succeeded");
    expect(done.progress).toEqual({ done: 80, total: 80, failed: 0 });
    const job = await api<{ status: string; attempts: number }>(
      second,
      key,
      "GET",
      `/api/v1/jobs/${run.job_id}`,
    );
    // the second process reclaimed the dead one's job once its lease lapsed
    expect(job).toMatchObject({ status: "succeeded", attempts: 2 });
    second.child.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });

    const handle = await createPgliteDb(join(dataDir, "pgdata"));
    try {
      const l = await ledger(handle.db, run.id);
      expect(l).toEqual({
        results: 80,
        cells: 80,
        executions: 80,
        keys: 80,
        usage: 80,
        usageExecutions: 80,
        usageCost: done.cost_usd.total,
        linked: 80,
      });
    } finally {
      await handle.close();
    }
  }, 180_000);
});

describe.skipIf(dbKind !== "postgres" || Boolean(skipReason))(
  "two servers sharing one PostgreSQL queue",
  () => {
    let h: Harness;
    afterAll(async () => h?.close());

    it("runs several evaluations at once, each job once, each cell once", async () => {
      h = await createHarness();
      const org = await createOrg(h);
      const env = {
        DATABASE_URL: h.databaseUrl as string,
        LECTERN_MASTER_KEY: h.config.LECTERN_MASTER_KEY as string,
        LECTERN_MOCK_PROVIDER: "true",
        LECTERN_MOCK_LATENCY_MS: "20",
        LECTERN_JOB_LEASE_MS: "5000",
        LECTERN_JOB_POLL_MS: "100",
        LECTERN_JOB_CONCURRENCY: "2",
        LECTERN_DATA_DIR: mkdtempSync(join(tmpdir(), "lectern-eval-pg-")),
      };
      dirs.push(env.LECTERN_DATA_DIR);
      const servers = await Promise.all([startServer(env), startServer(env)]);
      const runs: Run[] = [];
      for (let i = 0; i < 6; i++) {
        const s = servers[i % 2] as Server;
        runs.push(
          await api<Run>(s, org.apiKey, "POST", "/api/v1/evaluations/batch", await setUp(s, org.apiKey, 12)),
        );
      }
      const finished = await waitFor(
        async () => {
          const all = await Promise.all(
            runs.map((r) => api<Run>(servers[0] as Server, org.apiKey, "GET", `/api/v1/evaluations/${r.id}`)),
          );
          return all.every((r) => r.status === "succeeded" || r.status === "failed") ? all : null;
        },
        120_000,
        200,
      );
      for (const r of finished) {
        expect(r.status).toBe("succeeded");
        expect(r.progress).toEqual({ done: 24, total: 24, failed: 0 });
        const l = await ledger(h.deps.db, r.id);
        expect(l).toEqual({
          results: 24,
          cells: 24,
          executions: 24,
          keys: 24,
          usage: 24,
          usageExecutions: 24,
          usageCost: r.cost_usd.total,
          linked: 24,
        });
      }
      const jobs = await h.deps.db
        .selectFrom("jobs")
        .select(["id", "status", "attempts"])
        .where(
          "id",
          "in",
          runs.map((r) => r.job_id),
        )
        .execute();
      expect(jobs).toHaveLength(6);
      for (const j of jobs) expect(j, j.id).toMatchObject({ status: "succeeded", attempts: 1 });
      for (const s of servers) s.child.kill("SIGTERM");
      for (const s of servers) expect(await s.exited).toEqual({ code: 0, signal: null });
    }, 180_000);
  },
);
