import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  skipReason,
  startJobRunner,
  type TestOrg,
  waitFor,
} from "../../../test/helpers/harness.ts";
import { formatCost, parseCost } from "../../lib/money.ts";
import { runModelCall } from "../executions/pipeline.ts";
import { promptCall } from "../executions/service.ts";

type Headers = Record<string, string>;
interface Dataset {
  id: string;
  name: string;
  item_count: number;
  frozen: boolean;
  frozen_at: string | null;
  copied_from_dataset_id: string | null;
}
interface Item {
  id: string;
  position: number;
  variables: Record<string, string | number | boolean>;
  expected: string | null;
  metadata: Record<string, unknown>;
}
interface Score {
  evaluator: string;
  score: number;
  passed: boolean;
  reasoning?: string;
}
interface Result {
  id: string;
  item_id: string;
  position: number;
  prompt_version_id: string;
  model: string;
  execution_id: string | null;
  output: string | null;
  scores: Score[];
  score: number;
  passed: boolean;
  latency_ms: number | null;
  tokens: { input: number; output: number };
  cost_usd: string;
  judge_cost_usd: string;
  error: string | null;
}
interface Aggregate {
  prompt_version_id: string;
  model: string;
  items: number;
  completed: number;
  failed: number;
  passed: number;
  pass_rate: number | null;
  mean_score: number | null;
  evaluators: Array<{ name: string; mean_score: number | null; pass_rate: number | null }>;
  latency_ms: { p50: number | null; p95: number | null };
  tokens: { input: number; output: number };
  cost_usd: { model: string; judge: string; total: string; per_item: string | null };
}
interface Run {
  id: string;
  status: string;
  job_id: string;
  dataset_id: string;
  progress: { done: number; total: number; failed: number };
  error: string | null;
  targets: Array<{ prompt_id: string; prompt_version_id: string; version: number }>;
  cost_usd: { model: string; judge: string; total: string };
  aggregates: Aggregate[];
}
type ErrorBody = { error: { code: string; message: string; details?: unknown } };

const uniq = () => randomBytes(4).toString("hex");

describe.skipIf(skipReason)("evaluations: datasets, runs, results, comparison", () => {
  let h: Harness;
  let org: TestOrg;
  beforeAll(async () => {
    h = await createHarness();
    startJobRunner(h);
    org = await createOrg(h);
  });
  afterAll(async () => h?.close());

  const call = (method: string, url: string, payload?: unknown, headers: Headers = org.key) =>
    h.inject({
      method: method as "GET",
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function ok<T>(method: string, url: string, payload?: unknown, status = 200, headers?: Headers) {
    const res = await call(method, url, payload, headers);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return json<T>(res);
  }

  async function prompt(text: string, headers: Headers = org.key) {
    return ok<{ id: string; version: { id: string; version: number } }>(
      "POST",
      "/api/v1/prompts",
      { name: `p-${uniq()}`, version: { model: "mock/echo", messages: [{ role: "user", content: text }] } },
      201,
      headers,
    );
  }

  const dataset = (items: unknown[], headers: Headers = org.key) =>
    ok<Dataset>("POST", "/api/v1/datasets", { name: `ds-${uniq()}`, items }, 201, headers);

  const start = (body: Record<string, unknown>, headers: Headers = org.key) =>
    ok<Run>("POST", "/api/v1/evaluations/batch", body, 202, headers);

  const finished = (id: string, headers: Headers = org.key, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const r = await ok<Run>("GET", `/api/v1/evaluations/${id}`, undefined, 200, headers);
        return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
      },
      timeoutMs,
      100,
    );

  async function allResults(id: string, headers: Headers = org.key): Promise<Result[]> {
    const out: Result[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `&cursor=${cursor}` : "";
      const page = await ok<{ data: Result[]; next_cursor: string | null }>(
        "GET",
        `/api/v1/evaluations/${id}/results?limit=37${qs}`,
        undefined,
        200,
        headers,
      );
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  const qa = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      variables: { question: `item ${i + 1}` },
      // echo answers "Echo: Answer item N": the even items expect exactly that, the odd ones something else
      expected: (i + 1) % 2 === 0 ? `Echo: Answer item ${i + 1}` : `Something else ${i + 1}`,
      metadata: { i: i + 1 },
    }));

  describe("datasets", () => {
    it("creates, reads, lists, renames, appends to and deletes a dataset", async () => {
      const d = await dataset(qa(3));
      expect(d).toMatchObject({ item_count: 3, frozen: false, frozen_at: null });
      expect(await ok<Dataset>("GET", `/api/v1/datasets/${d.id}`)).toMatchObject({ id: d.id, item_count: 3 });
      const list = await ok<{ data: Dataset[] }>("GET", "/api/v1/datasets");
      expect(list.data.map((x) => x.id)).toContain(d.id);
      const renamed = await ok<Dataset>("PATCH", `/api/v1/datasets/${d.id}`, { name: `renamed-${uniq()}` });
      expect(renamed.name).toMatch(/^renamed-/);
      const added = await ok<{ dataset: Dataset; data: Item[] }>(
        "POST",
        `/api/v1/datasets/${d.id}/items`,
        { items: [{ variables: { question: "four" } }, { variables: { question: "five" }, expected: "5" }] },
        201,
      );
      expect(added.dataset.item_count).toBe(5);
      expect(added.data.map((i) => [i.position, i.variables.question, i.expected])).toEqual([
        [4, "four", null],
        [5, "five", "5"],
      ]);
      const page1 = await ok<{ data: Item[]; next_cursor: string }>(
        "GET",
        `/api/v1/datasets/${d.id}/items?limit=2`,
      );
      const page2 = await ok<{ data: Item[]; next_cursor: string }>(
        "GET",
        `/api/v1/datasets/${d.id}/items?limit=2&cursor=${page1.next_cursor}`,
      );
      const page3 = await ok<{ data: Item[]; next_cursor: string | null }>(
        "GET",
        `/api/v1/datasets/${d.id}/items?limit=2&cursor=${page2.next_cursor}`,
      );
      expect([...page1.data, ...page2.data, ...page3.data].map((i) => i.position)).toEqual([1, 2, 3, 4, 5]);
      expect(page3.next_cursor).toBeNull();
      expect((await call("GET", `/api/v1/datasets/${d.id}/items?cursor=bogus`)).statusCode).toBe(400);

      const dup = await call("POST", "/api/v1/datasets", { name: renamed.name });
      expect(dup.statusCode).toBe(409);
      const bad = await call("POST", `/api/v1/datasets/${d.id}/items`, {
        items: [{ variables: { ok: "x" } }, { variables: { "not a name": "x" } }],
      });
      expect(bad.statusCode).toBe(400);
      expect(json<ErrorBody>(bad).error.details).toEqual([
        { path: "body.items.1.variables.not a name", message: expect.any(String) },
      ]);
      expect((await call("DELETE", `/api/v1/datasets/${d.id}`)).statusCode).toBe(204);
      expect((await call("GET", `/api/v1/datasets/${d.id}`)).statusCode).toBe(404);
    });

    it("imports raw JSONL and CSV, and JSON {format, content}", async () => {
      const d = await dataset([]);
      const jsonl =
        '{"variables": {"q": "a"}, "expected": "A"}\n{"variables": {"q": "b"}, "metadata": {"k": 1}}\n';
      const r1 = await h.inject({
        method: "POST",
        url: `/api/v1/datasets/${d.id}/import`,
        headers: { ...org.key, "content-type": "application/x-ndjson" },
        payload: jsonl,
      });
      expect(r1.statusCode, r1.body).toBe(201);
      expect(json(r1)).toMatchObject({ imported: 2, dataset: { item_count: 2 } });
      const r2 = await h.inject({
        method: "POST",
        url: `/api/v1/datasets/${d.id}/import`,
        headers: { ...org.key, "content-type": "text/csv; charset=utf-8" },
        payload: 'q,expected\r\n"c, with comma",C\r\n',
      });
      expect(r2.statusCode, r2.body).toBe(201);
      await ok("POST", `/api/v1/datasets/${d.id}/import`, { format: "csv", content: "q\nd\n" }, 201);
      const items = await ok<{ data: Item[] }>("GET", `/api/v1/datasets/${d.id}/items`);
      expect(items.data.map((i) => [i.position, i.variables.q, i.expected, i.metadata])).toEqual([
        [1, "a", "A", {}],
        [2, "b", null, { k: 1 }],
        [3, "c, with comma", "C", {}],
        [4, "d", null, {}],
      ]);
      // Raw CSV is only for the import route: a JSON route still refuses it.
      const other = await h.inject({
        method: "POST",
        url: "/api/v1/datasets",
        headers: { ...org.key, "content-type": "text/csv" },
        payload: "name\nx\n",
      });
      expect(other.statusCode).toBe(415);
    });

    it("refuses a file with bad rows, listing each bad line, and writes nothing", async () => {
      const d = await dataset(qa(2));
      const jsonl = [
        '{"variables": {"q": "fine"}}',
        "{broken",
        '{"variables": {"q": "fine"}}',
        '{"variables": {"q": "x"}, "expected": 42}',
      ].join("\n");
      const r = await h.inject({
        method: "POST",
        url: `/api/v1/datasets/${d.id}/import`,
        headers: { ...org.key, "content-type": "application/x-ndjson" },
        payload: jsonl,
      });
      expect(r.statusCode).toBe(400);
      const body = json<ErrorBody>(r);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.message).toMatch(/2 bad lines.*nothing was imported.*Line 2/);
      expect(body.error.details).toEqual([
        { line: 2, message: expect.stringMatching(/not valid JSON/) },
        { line: 4, message: expect.stringMatching(/expected/) },
      ]);
      const csv = await call("POST", `/api/v1/datasets/${d.id}/import`, {
        format: "csv",
        content: 'q,metadata\nok,\n"multi\nline",{bad\nshort\n',
      });
      expect(csv.statusCode).toBe(400);
      expect(json<ErrorBody>(csv).error.details).toEqual([
        { line: 3, message: expect.stringMatching(/^metadata: not valid JSON/) },
        { line: 5, message: "expected 2 fields, found 1" },
      ]);
      expect((await ok<Dataset>("GET", `/api/v1/datasets/${d.id}`)).item_count).toBe(2);
      const unsupported = await h.inject({
        method: "POST",
        url: `/api/v1/datasets/${d.id}/import`,
        headers: { ...org.key, "content-type": "text/plain" },
        payload: "q\nx\n",
      });
      expect(unsupported.statusCode).toBe(415);
    });

    it("imports a file above the JSON body limit, up to the item limit and no further", async () => {
      const d = await dataset([]);
      const filler = "x".repeat(100);
      const rows = Array.from({ length: 10_000 }, (_, i) => `q${i},${filler},${i}`);
      const csv = `q,pad,expected\n${rows.join("\n")}\n`;
      expect(csv.length).toBeGreaterThan(h.config.LECTERN_BODY_LIMIT_BYTES);
      const res = await h.inject({
        method: "POST",
        url: `/api/v1/datasets/${d.id}/import`,
        headers: { ...org.key, "content-type": "text/csv" },
        payload: csv,
      });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
      expect(json(res)).toMatchObject({ imported: 10_000, dataset: { item_count: 10_000 } });
      const more = await call("POST", `/api/v1/datasets/${d.id}/items`, {
        items: [{ variables: { q: "one more" } }],
      });
      expect(more.statusCode).toBe(400);
      expect(json<ErrorBody>(more).error.message).toMatch(/at most 10000 items/);
      const tooBig = await h.inject({
        method: "POST",
        url: `/api/v1/datasets/${d.id}/import`,
        headers: { ...org.key, "content-type": "text/csv" },
        payload: `q\n${"y".repeat(11 * 1024 * 1024)}\n`,
      });
      expect(tooBig.statusCode).toBe(413);
    }, 60_000);

    it("exports JSONL and CSV that import back to the same items", async () => {
      const items = [
        {
          variables: { q: 'quote " and, comma', n: "1" },
          expected: "line1\nline2",
          metadata: { tags: ["a"] },
        },
        { variables: { q: "plain", n: "2" }, expected: null, metadata: {} },
        { variables: { q: " spaced ", n: "3" }, expected: "é ü", metadata: { x: { y: true } } },
      ];
      const src = await dataset(items);
      const srcItems = (await ok<{ data: Item[] }>("GET", `/api/v1/datasets/${src.id}/items`)).data;
      for (const format of ["jsonl", "csv"] as const) {
        const res = await call("GET", `/api/v1/datasets/${src.id}/export?format=${format}`);
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toMatch(
          format === "csv" ? /^text\/csv/ : /^application\/x-ndjson/,
        );
        expect(res.headers["content-disposition"]).toMatch(
          new RegExp(`attachment; filename=".*\\.${format}"`),
        );
        const copy = await dataset([]);
        await ok("POST", `/api/v1/datasets/${copy.id}/import`, { format, content: res.body }, 201);
        const back = (await ok<{ data: Item[] }>("GET", `/api/v1/datasets/${copy.id}/items`)).data;
        const strip = (xs: Item[]) =>
          xs.map(({ variables, expected, metadata }) => ({ variables, expected, metadata }));
        expect(strip(back)).toEqual(strip(srcItems));
      }
    });
  });

  describe("runs", () => {
    it("validates a run before starting it: dataset, variables, models and evaluators", async () => {
      const p = await prompt("Answer {{question}} in {{language}}");
      const d = await dataset(qa(3));
      const base = { dataset_id: d.id, targets: [{ prompt_id: p.id }], models: ["mock/echo"] };
      const exact = [{ type: "exact_match" }];
      const missing = await call("POST", "/api/v1/evaluations/batch", { ...base, evaluators: exact });
      expect(missing.statusCode).toBe(400);
      const mv = json<ErrorBody>(missing).error;
      expect(mv.code).toBe("missing_variables");
      expect(mv.message).toMatch(new RegExp(`Prompt ${p.id} version 1 needs \\{\\{language\\}\\}.*3 item`));
      expect(mv.details).toMatchObject({ missing: ["language"], target: { prompt_id: p.id, version: 1 } });

      const q = await prompt("Answer {{question}}");
      const good = { ...base, targets: [{ prompt_id: q.id }] };
      const expect400 = async (body: Record<string, unknown>, message: RegExp, status = 400) => {
        const res = await call("POST", "/api/v1/evaluations/batch", body);
        expect(res.statusCode, res.body).toBe(status);
        expect(json<ErrorBody>(res).error.message).toMatch(message);
      };
      await expect400({ ...good, models: ["mock/nope"], evaluators: exact }, /Unknown model "mock\/nope"/);
      await expect400(
        { ...good, evaluators: [{ type: "regex", pattern: "(" }] },
        /evaluators\.0: invalid regular/,
      );
      await expect400(
        { ...good, evaluators: [{ type: "json_schema", schema: { type: 5 } }] },
        /evaluators\.0: invalid JSON Schema/,
      );
      await expect400(
        { ...good, evaluators: [{ type: "llm_judge", model: "mock/missing", rubric: "r" }] },
        /Unknown model/,
      );
      await expect400(
        { ...good, evaluators: [{ type: "llm_judge", model: "mock/echo", rubric: "Uses {{nope}}" }] },
        /rubric uses \{\{nope\}\}/,
      );
      await expect400({ ...good, evaluators: [{ type: "bogus" }] }, /evaluators/);
      const noExpected = await dataset([{ variables: { question: "x" } }]);
      await expect400(
        { ...good, dataset_id: noExpected.id, evaluators: exact },
        /exact_match compares with the item's expected output, but 1 item\(s\), e\.g\. position 1 lack/,
      );
      const empty = await dataset([]);
      await expect400({ ...good, dataset_id: empty.id, evaluators: exact }, /has no items/);
      await expect400({ ...good, dataset_id: "ds_missing", evaluators: exact }, /Dataset not found/, 404);
      await expect400(
        { ...good, targets: [{ prompt_id: "pmt_missing" }], evaluators: exact },
        /not found/,
        404,
      );
      // Nothing above froze the dataset.
      expect((await ok<Dataset>("GET", `/api/v1/datasets/${d.id}`)).frozen).toBe(false);
    });

    let e2e: { run: Run; results: Result[]; dataset: Dataset };

    it("runs 2 models × 50 items to completion, with aggregates that match the results and the meter", async () => {
      const p = await prompt("Answer {{question}}");
      const d = await dataset(qa(50));
      const started = await start({
        name: "echo vs lorem",
        dataset_id: d.id,
        targets: [{ prompt_id: p.id, version: 1 }],
        models: ["mock/echo", "mock/lorem"],
        evaluators: [
          { type: "exact_match" },
          { type: "regex", pattern: "^Echo: Answer item \\d+$" },
          { type: "numeric", name: "number", value: 0, tolerance: 1000 },
          { type: "contains", value: "Answer", threshold: 1 },
        ],
        concurrency: 4,
      });
      expect(started).toMatchObject({ status: "queued", progress: { done: 0, total: 100, failed: 0 } });
      expect(started.job_id).toMatch(/^job_/);
      expect((await ok<Dataset>("GET", `/api/v1/datasets/${d.id}`)).frozen).toBe(true);

      const run = await finished(started.id);
      expect(run.status, run.error ?? "").toBe("succeeded");
      expect(run.progress).toEqual({ done: 100, total: 100, failed: 0 });
      const job = await ok<{ status: string; progress: unknown; attempts: number }>(
        "GET",
        `/api/v1/jobs/${run.job_id}`,
      );
      expect(job).toMatchObject({
        status: "succeeded",
        progress: { done: 100, total: 100, failed: 0 },
        attempts: 1,
      });

      const results = await allResults(run.id);
      expect(results).toHaveLength(100);
      expect(new Set(results.map((r) => `${r.item_id}:${r.model}`)).size).toBe(100);
      const echo0 = results.find((r) => r.model === "mock/echo" && r.position === 2);
      expect(echo0).toMatchObject({ output: "Echo: Answer item 2", passed: true, error: null });
      expect(echo0?.scores.map((s) => [s.evaluator, s.score])).toEqual([
        ["exact_match", 1],
        ["regex", 1],
        ["number", 1],
        ["contains", 1],
      ]);

      // Every execution is a normal one: source evaluation, attributed to the run, one per cell, metered.
      const execs = await h.deps.db
        .selectFrom("executions")
        .selectAll()
        .where("organization_id", "=", org.orgId)
        .where("run_id", "=", run.id)
        .execute();
      expect(execs).toHaveLength(100);
      expect(execs.every((e) => e.source === "evaluation" && e.status === "succeeded")).toBe(true);
      expect(new Set(execs.map((e) => e.idempotency_key)).size).toBe(100);
      const byId = new Map(execs.map((e) => [e.id, e]));
      for (const r of results) {
        const e = byId.get(r.execution_id as string);
        expect(e, r.id).toBeDefined();
        expect(e?.idempotency_key).toBe(`eval:${run.id}:${r.item_id}:${r.prompt_version_id}:${r.model}`);
        expect([e?.latency_ms, e?.tokens_input, e?.tokens_output, e?.output]).toEqual([
          r.latency_ms,
          r.tokens.input,
          r.tokens.output,
          r.output,
        ]);
        expect(formatCost(parseCost(e?.cost_usd ?? ""))).toBe(r.cost_usd);
      }
      const usage = await sql<{ n: string; total: string }>`
        SELECT count(*)::text AS n, coalesce(sum(u.cost_usd), 0)::text AS total
        FROM usage_records u JOIN executions e ON e.id = u.execution_id
        WHERE e.organization_id = ${org.orgId} AND e.run_id = ${run.id}`.execute(h.deps.db);
      expect(Number(usage.rows[0]?.n)).toBe(100);
      expect(formatCost(parseCost(usage.rows[0]?.total ?? ""))).toBe(run.cost_usd.total);
      expect(parseCost(run.cost_usd.total)).toBeGreaterThan(0n);

      // Each aggregate, recomputed here from the results.
      const nearestRank = (xs: number[], p: number) =>
        [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1];
      expect(run.aggregates).toHaveLength(2);
      for (const model of ["mock/echo", "mock/lorem"]) {
        const rs = results.filter((r) => r.model === model);
        const a = run.aggregates.find((x) => x.model === model) as Aggregate;
        const cost = rs.reduce((s, r) => s + parseCost(r.cost_usd), 0n);
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        expect(a).toMatchObject({
          items: 50,
          completed: 50,
          failed: 0,
          passed: rs.filter((r) => r.passed).length,
        });
        expect(a.pass_rate).toBeCloseTo(rs.filter((r) => r.passed).length / 50, 12);
        expect(a.mean_score).toBeCloseTo(mean(rs.map((r) => r.score)), 12);
        for (const ev of a.evaluators) {
          const scores = rs.map((r) => r.scores.find((s) => s.evaluator === ev.name) as Score);
          expect(ev.mean_score, ev.name).toBeCloseTo(mean(scores.map((s) => s.score)), 12);
          expect(ev.pass_rate, ev.name).toBeCloseTo(scores.filter((s) => s.passed).length / 50, 12);
        }
        const lat = rs.map((r) => r.latency_ms as number);
        expect(a.latency_ms).toEqual({ p50: nearestRank(lat, 0.5), p95: nearestRank(lat, 0.95) });
        expect(a.tokens).toEqual({
          input: rs.reduce((s, r) => s + r.tokens.input, 0),
          output: rs.reduce((s, r) => s + r.tokens.output, 0),
        });
        expect(a.cost_usd).toEqual({
          model: formatCost(cost),
          judge: "0",
          total: formatCost(cost),
          per_item: formatCost((cost * 2n + 50n) / 100n),
        });
      }
      const echo = run.aggregates.find((x) => x.model === "mock/echo") as Aggregate;
      const lorem = run.aggregates.find((x) => x.model === "mock/lorem") as Aggregate;
      // echo: exact on the 25 even items; lorem never says "Answer"
      expect(echo.evaluators.map((e) => [e.name, e.pass_rate])).toEqual([
        ["exact_match", 0.5],
        ["regex", 1],
        ["number", 1],
        ["contains", 1],
      ]);
      expect(echo.passed).toBe(25);
      expect(lorem.passed).toBe(0);
      const total = run.aggregates.reduce((s, a) => s + parseCost(a.cost_usd.total), 0n);
      expect(formatCost(total)).toBe(run.cost_usd.total);
      const metric = async (name: string, status: string) => {
        const m = await h.deps.metrics.registry.getSingleMetric(name)?.get();
        return m?.values.find((v) => v.labels.status === status)?.value ?? 0;
      };
      expect(await metric("lectern_evaluation_items_processed_total", "succeeded")).toBeGreaterThanOrEqual(
        100,
      );
      expect(await metric("lectern_evaluation_jobs_processed_total", "succeeded")).toBeGreaterThanOrEqual(1);
      e2e = { run, results, dataset: d };
    });

    it("compares two models of one run item by item, listing regressions", async () => {
      const { run, results } = e2e;
      const cmp = await ok<{
        base: { model: string };
        head: { model: string };
        summary: Record<string, number>;
        regressions: Array<{ position: number; reason: string; base: { passed: boolean } }>;
        items: unknown[];
      }>("GET", `/api/v1/evaluations/${run.id}/compare?base_model=mock/echo&head_model=mock/lorem`);
      const echo = new Map(results.filter((r) => r.model === "mock/echo").map((r) => [r.item_id, r]));
      const expected = results
        .filter((r) => r.model === "mock/lorem")
        .filter((h) => {
          const b = echo.get(h.item_id) as Result;
          return (b.passed && !h.passed) || h.score < b.score;
        })
        .map((r) => r.position)
        .sort((x, y) => x - y);
      expect(cmp.base.model).toBe("mock/echo");
      expect(cmp.head.model).toBe("mock/lorem");
      expect(cmp.items).toHaveLength(50);
      expect(cmp.summary).toMatchObject({ compared: 50, missing: 0, passed_to_failed: 25 });
      expect(cmp.regressions.map((r) => r.position).sort((x, y) => x - y)).toEqual(expected);
      expect(expected.length).toBeGreaterThanOrEqual(25);
      expect(cmp.regressions.filter((r) => r.reason === "passed_to_failed")).toHaveLength(25);

      const ambiguous = await call("GET", `/api/v1/evaluations/${run.id}/compare?head_model=mock/lorem`);
      expect(ambiguous.statusCode).toBe(400);
      expect(json<ErrorBody>(ambiguous).error.message).toMatch(/several .* base_model/);
      const same = await call(
        "GET",
        `/api/v1/evaluations/${run.id}/compare?base_model=mock/echo&head_model=mock/echo`,
      );
      expect(same.statusCode).toBe(400);
    });

    it("compares two runs on one dataset: a worse prompt version's regressions", async () => {
      const p = await prompt("Answer {{question}}");
      const d = await dataset(qa(10));
      const evaluators = [{ type: "exact_match" }];
      const v1 = await finished(
        (await start({ dataset_id: d.id, targets: [{ prompt_id: p.id }], models: ["mock/echo"], evaluators }))
          .id,
      );
      // v2 answers differently, so the even items that passed now fail
      await ok(
        "POST",
        `/api/v1/prompts/${p.id}/versions`,
        {
          model: "mock/echo",
          messages: [{ role: "user", content: "Reply {{question}}" }],
        },
        201,
      );
      const v2 = await finished(
        (
          await start({
            dataset_id: d.id,
            targets: [{ prompt_id: p.id, version: 2 }],
            models: ["mock/echo"],
            evaluators,
          })
        ).id,
      );
      expect([v1.status, v2.status]).toEqual(["succeeded", "succeeded"]);
      const cmp = await ok<{
        summary: Record<string, number>;
        regressions: Array<{ position: number; reason: string }>;
      }>("GET", `/api/v1/evaluations/${v2.id}/compare?base_run=${v1.id}`);
      expect(cmp.summary).toMatchObject({ compared: 10, regressed: 5, passed_to_failed: 5, improved: 0 });
      expect(
        cmp.regressions
          .map((r) => [r.position, r.reason])
          .sort((a, b) => (a[0] as number) - (b[0] as number)),
      ).toEqual([
        [2, "passed_to_failed"],
        [4, "passed_to_failed"],
        [6, "passed_to_failed"],
        [8, "passed_to_failed"],
        [10, "passed_to_failed"],
      ]);
      const otherDs = await dataset(qa(1));
      const other = await start({
        dataset_id: otherDs.id,
        targets: [{ prompt_id: p.id }],
        models: ["mock/echo"],
        evaluators,
      });
      const mismatch = await call("GET", `/api/v1/evaluations/${v2.id}/compare?base_run=${other.id}`);
      expect(mismatch.statusCode).toBe(400);
      expect(json<ErrorBody>(mismatch).error.message).toMatch(/different datasets/);
    });

    it("freezes a used dataset: item changes are 409 pointing at /copy, and the copy is editable", async () => {
      const d = e2e.dataset;
      const frozen = await ok<Dataset>("GET", `/api/v1/datasets/${d.id}`);
      expect(frozen.frozen_at).not.toBeNull();
      const append = await call("POST", `/api/v1/datasets/${d.id}/items`, {
        items: [{ variables: { question: "x" } }],
      });
      expect(append.statusCode).toBe(409);
      expect(json<ErrorBody>(append).error.message).toContain(`POST /api/v1/datasets/${d.id}/copy`);
      const imp = await call("POST", `/api/v1/datasets/${d.id}/import`, {
        format: "jsonl",
        content: '{"variables": {}}',
      });
      expect(imp.statusCode).toBe(409);
      expect((await call("DELETE", `/api/v1/datasets/${d.id}`)).statusCode).toBe(409);
      // the database refuses too, whatever the path
      await expect(
        sql`UPDATE dataset_items SET expected = 'changed' WHERE dataset_id = ${d.id}`.execute(h.deps.db),
      ).rejects.toThrow(/frozen/);
      // name and description are not what a run reads: they may change
      expect(
        (await call("PATCH", `/api/v1/datasets/${d.id}`, { description: "still editable" })).statusCode,
      ).toBe(200);

      const copy = await ok<Dataset>("POST", `/api/v1/datasets/${d.id}/copy`, {}, 201);
      expect(copy).toMatchObject({
        item_count: 50,
        frozen: false,
        copied_from_dataset_id: d.id,
        name: `${d.name} (copy)`,
      });
      await ok(
        "POST",
        `/api/v1/datasets/${copy.id}/items`,
        { items: [{ variables: { question: "51" } }] },
        201,
      );
      expect((await ok<Dataset>("GET", `/api/v1/datasets/${d.id}`)).item_count).toBe(50);
      expect((await call("POST", `/api/v1/datasets/${d.id}/copy`, {})).statusCode).toBe(409);
    });

    it("shows live progress, cancels a running run, and keeps what finished", async () => {
      const p = await prompt("Slowly {{question}}");
      const d = await dataset(qa(8));
      // mock/slow takes a second per call
      const run = await start({
        dataset_id: d.id,
        targets: [{ prompt_id: p.id }],
        models: ["mock/slow"],
        evaluators: [{ type: "contains", value: "Slowly" }],
        concurrency: 1,
      });
      const midway = await waitFor(async () => {
        const r = await ok<Run>("GET", `/api/v1/evaluations/${run.id}`);
        return r.status === "running" && r.progress.done >= 1 ? r : null;
      });
      expect(midway.progress.total).toBe(8);
      const jobMid = await ok<{ progress: { done: number; total: number } }>(
        "GET",
        `/api/v1/jobs/${run.job_id}`,
      );
      expect(jobMid.progress.total).toBe(8);
      const cancelled = await ok<Run>("POST", `/api/v1/evaluations/${run.id}/cancel`, {});
      expect(cancelled.status).toBe("cancelled");
      await waitFor(
        async () =>
          (await ok<{ status: string }>("GET", `/api/v1/jobs/${run.job_id}`)).status === "cancelled",
      );
      const after = await ok<Run>("GET", `/api/v1/evaluations/${run.id}`);
      expect(after.status).toBe("cancelled");
      expect(after.progress.done).toBeLessThan(8);
      const again = await call("POST", `/api/v1/evaluations/${run.id}/cancel`, {});
      expect(again.statusCode).toBe(409);
      const audit = await h.deps.db
        .selectFrom("audit_logs")
        .select("action")
        .where("resource_id", "=", run.id)
        .execute();
      expect(audit.map((a) => a.action).sort()).toEqual(["evaluation_run.cancel", "evaluation_run.create"]);
    });

    it("records a failing model's cells as failed, not the run", async () => {
      const p = await prompt("Answer {{question}}");
      const d = await dataset(qa(4));
      const run = await finished(
        (
          await start({
            dataset_id: d.id,
            targets: [{ prompt_id: p.id }],
            models: ["mock/echo", "mock/error"],
            evaluators: [{ type: "exact_match" }],
          })
        ).id,
      );
      expect(run.status).toBe("succeeded");
      expect(run.progress).toEqual({ done: 8, total: 8, failed: 4 });
      const err = run.aggregates.find((a) => a.model === "mock/error") as Aggregate;
      expect(err).toMatchObject({ completed: 4, failed: 4, passed: 0, mean_score: 0, pass_rate: 0 });
      const results = await allResults(run.id);
      const failed = results.filter((r) => r.model === "mock/error");
      expect(
        failed.every((r) => r.error?.startsWith("provider_error") && r.execution_id?.startsWith("exe_")),
      ).toBe(true);
      expect(failed[0]?.scores[0]).toMatchObject({
        score: 0,
        passed: false,
        reasoning: expect.stringMatching(/call failed/),
      });
    });

    it("scores with an LLM judge through the pipeline, its cost metered and attributed to the run", async () => {
      const p = await prompt("Answer {{question}}");
      const d = await dataset(qa(6));
      // mock/echo repeats the judge's message, so the rubric ends with the verdict the parser reads
      const rubric =
        'Grade this answer:\n{{output}}\nVerdict: {"score": 0.75, "reasoning": "fixed by the rubric"}';
      const run = await finished(
        (
          await start({
            dataset_id: d.id,
            targets: [{ prompt_id: p.id }],
            models: ["mock/echo"],
            evaluators: [{ type: "llm_judge", name: "judge", model: "mock/echo", rubric, threshold: 0.7 }],
          })
        ).id,
      );
      expect(run.status).toBe("succeeded");
      const results = await allResults(run.id);
      for (const r of results) {
        expect(r.scores).toEqual([
          {
            evaluator: "judge",
            type: "llm_judge",
            score: 0.75,
            passed: true,
            reasoning: "fixed by the rubric",
          },
        ]);
        expect(parseCost(r.judge_cost_usd)).toBeGreaterThan(0n);
      }
      const execs = await h.deps.db
        .selectFrom("executions")
        .selectAll()
        .where("organization_id", "=", org.orgId)
        .where("run_id", "=", run.id)
        .execute();
      expect(execs).toHaveLength(12);
      const judges = execs.filter((e) => e.idempotency_key?.endsWith(":judge:judge"));
      expect(judges).toHaveLength(6);
      expect(judges.every((e) => e.source === "evaluation" && e.prompt_id === null)).toBe(true);
      for (const r of results) {
        const j = judges.find(
          (e) =>
            e.idempotency_key === `eval:${run.id}:${r.item_id}:${r.prompt_version_id}:mock/echo:judge:judge`,
        );
        expect(formatCost(parseCost(j?.cost_usd ?? ""))).toBe(r.judge_cost_usd);
        expect(j?.output).toContain(r.output as string);
      }
      const judgeCost = results.reduce((s, r) => s + parseCost(r.judge_cost_usd), 0n);
      expect(run.cost_usd.judge).toBe(formatCost(judgeCost));
      const usage = await sql<{ total: string }>`
        SELECT coalesce(sum(u.cost_usd), 0)::text AS total FROM usage_records u
        JOIN executions e ON e.id = u.execution_id WHERE e.run_id = ${run.id}`.execute(h.deps.db);
      expect(formatCost(parseCost(usage.rows[0]?.total ?? ""))).toBe(run.cost_usd.total);
      expect(run.aggregates[0]?.evaluators[0]).toMatchObject({
        name: "judge",
        mean_score: 0.75,
        pass_rate: 1,
      });
    });

    it("reuses a cell's execution made before an interruption instead of calling the model again", async () => {
      const p = await prompt("Answer {{question}}");
      const d = await dataset(qa(5));
      const items = (await ok<{ data: Item[] }>("GET", `/api/v1/datasets/${d.id}/items`)).data;
      // Hold the runner back, so the "first attempt" below can make two cells' executions and then "die".
      await h.deps.jobRunner?.stop(0);
      try {
        const run = await start({
          dataset_id: d.id,
          targets: [{ prompt_id: p.id }],
          models: ["mock/echo"],
          evaluators: [{ type: "exact_match" }],
        });
        const { ctxForJob } = await import("../auth/service.ts");
        const ctx = await ctxForJob(
          h.deps,
          { kind: "user", id: org.owner.userId, orgId: org.orgId },
          "job:test",
        );
        const base = await promptCall(h.deps, ctx, p.id, { version: 1 });
        const made: string[] = [];
        for (const it of items.slice(0, 2)) {
          const v = await runModelCall(h.deps, ctx, {
            ...base,
            source: "evaluation",
            variables: it.variables,
            idempotencyKey: `eval:${run.id}:${it.id}:${p.version.id}:mock/echo`,
            runId: run.id,
          });
          made.push(v.id);
        }
        startJobRunner(h);
        const done = await finished(run.id);
        expect(done.status).toBe("succeeded");
        const results = await allResults(run.id);
        expect(results.slice(0, 2).map((r) => r.execution_id)).toEqual(made);
        const n = await h.deps.db
          .selectFrom("executions")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .where("run_id", "=", run.id)
          .executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(5);
      } finally {
        if (!h.deps.jobRunner) startJobRunner(h);
      }
    });

    it("lists runs and keeps them to their organization", async () => {
      const other = await createOrg(h);
      const list = await ok<{ data: Run[] }>("GET", "/api/v1/evaluations?limit=200");
      expect(list.data.map((r) => r.id)).toContain(e2e.run.id);
      const filtered = await ok<{ data: Run[] }>("GET", `/api/v1/evaluations?dataset_id=${e2e.dataset.id}`);
      expect(filtered.data.map((r) => r.id)).toEqual([e2e.run.id]);
      expect(
        (await ok<{ data: Run[] }>("GET", "/api/v1/evaluations", undefined, 200, other.key)).data,
      ).toEqual([]);
      for (const url of [
        `/api/v1/evaluations/${e2e.run.id}`,
        `/api/v1/evaluations/${e2e.run.id}/results`,
        `/api/v1/evaluations/${e2e.run.id}/compare?base_model=mock/echo&head_model=mock/lorem`,
        `/api/v1/datasets/${e2e.dataset.id}`,
        `/api/v1/datasets/${e2e.dataset.id}/items`,
        `/api/v1/datasets/${e2e.dataset.id}/export`,
      ])
        expect((await call("GET", url, undefined, other.key)).statusCode, url).toBe(404);
      // and another org's run cannot be a comparison's base
      const p = await prompt("Answer {{question}}", other.key);
      const ds = await dataset(qa(1), other.key);
      const theirs = await start(
        {
          dataset_id: ds.id,
          targets: [{ prompt_id: p.id }],
          models: ["mock/echo"],
          evaluators: [{ type: "exact_match" }],
        },
        other.key,
      );
      expect(
        (
          await call(
            "GET",
            `/api/v1/evaluations/${e2e.run.id}/compare?base_run=${theirs.id}&base_model=mock/echo&head_model=mock/echo`,
          )
        ).statusCode,
      ).toBe(404);
      // a viewer reads but cannot start or cancel
      const viewer = await org.member("viewer");
      expect(
        (await call("GET", `/api/v1/evaluations/${e2e.run.id}`, undefined, viewer.session)).statusCode,
      ).toBe(200);
      expect(
        (await call("POST", `/api/v1/evaluations/${e2e.run.id}/cancel`, {}, viewer.session)).statusCode,
      ).toBe(403);
    });

    it("puts every evaluation route in the OpenAPI document", async () => {
      const doc = json<{ paths: Record<string, Record<string, unknown>> }>(
        await call("GET", "/api/v1/openapi.json"),
      );
      for (const path of [
        "/api/v1/datasets",
        "/api/v1/datasets/{datasetId}",
        "/api/v1/datasets/{datasetId}/items",
        "/api/v1/datasets/{datasetId}/import",
        "/api/v1/datasets/{datasetId}/export",
        "/api/v1/datasets/{datasetId}/copy",
        "/api/v1/evaluations/batch",
        "/api/v1/evaluations",
        "/api/v1/evaluations/{evaluationRunId}",
        "/api/v1/evaluations/{evaluationRunId}/results",
        "/api/v1/evaluations/{evaluationRunId}/cancel",
        "/api/v1/evaluations/{evaluationRunId}/compare",
      ])
        expect(doc.paths[path], path).toBeDefined();
    });
  });
});
