import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";

/**
 * The Grafana dashboards, checked without Grafana (it is not installable here):
 *  1. structure: every dashboard validates against dashboard.schema.json, plus the checks a schema cannot
 *     express (unique ids, no overlapping panels, only known variables and catalogue metrics, exemplars on
 *     latency panels);
 *  2. queries: the real `lectern serve` is scraped by a real Prometheus (Debian's `prometheus` package)
 *     while a traffic generator exercises it; then every query of every panel (and every variable query) is
 *     run against that Prometheus and must return data. A panel that cannot is a failure, never a skip.
 *
 * It starts its own processes and touches no test database, so it runs once: in the pglite project.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const dashboardsDir = join(root, "deploy", "grafana", "dashboards");
const rulesDir = join(root, "deploy", "prometheus", "rules");
const enabled = process.env.LECTERN_TEST_DB === "pglite";
const inCI = process.env.CI === "true";

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? "prometheus";
const prometheusFound = spawnSync(PROMETHEUS, ["--version"], { stdio: "ignore" }).status === 0;
const MISSING_PROMETHEUS =
  `the dashboard query test needs Prometheus: \`${PROMETHEUS}\` was not found. ` +
  "Install Debian's package (apt-get install -y prometheus, then stop the daemon it starts) or set PROMETHEUS_BIN.";
// Outside CI a newcomer without Prometheus gets a skip with the reason; in CI it is a failure (below).
const skipQueries = !prometheusFound && !inCI;
if (enabled && skipQueries) console.warn(`SKIPPED: ${MISSING_PROMETHEUS}`);

/** How long the traffic generator runs: long enough for many 1 s scrapes inside every 1m rate window. */
const TRAFFIC_MS = 35_000;
const START_TIMEOUT_MS = 60_000;

// --- dashboard model (the parts the tests read) ---------------------------------------------------------

interface Target {
  refId: string;
  expr: string;
  exemplar?: boolean;
  format?: string;
}
interface Panel {
  id?: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  includeAll?: boolean;
}
interface Dashboard {
  uid: string;
  title: string;
  templating: { list: Variable[] };
  panels: Panel[];
}

const dashboardFiles = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith(".json"))
  .sort();
const dashboards = dashboardFiles.map((file) => ({
  file,
  json: JSON.parse(readFileSync(join(dashboardsDir, file), "utf8")) as Dashboard,
}));

/** Panels that read something other than PromQL; every other panel must have queries. */
const NO_QUERY_PANELS: Record<string, string> = {
  row: "a layout row",
  alertlist: "reads Grafana's alert state (Grafana-managed and data-source rules), not a PromQL query",
};

const GRAFANA_GLOBALS: Record<string, string> = {
  // What Grafana would substitute for a 6 h dashboard at a typical width, scaled to the test's 1 s scrapes:
  // 1m holds ~60 samples, so rate() always has the two it needs.
  __rate_interval: "1m",
  __interval: "15s",
  __range: "5m",
};

/** The test Prometheus' job name, which is also what the charts' ServiceMonitor relabels `job` to. */
const JOB = "lectern";

/** Grafana's variable forms: $name, ${name}, ${name:format}. */
const VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\$(\w+)/g;

/**
 * Replace Grafana variables the way Grafana would for "All": global intervals get fixed windows, the job
 * variable (single-valued) the test job, every multi-value variable its allValue `.*`. An unknown
 * variable is an error, not a silent pass.
 */
function substitute(expr: string, vars: Variable[]): string {
  return expr.replace(VARIABLE, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const global = GRAFANA_GLOBALS[name];
    if (global) return global;
    const v = vars.find((x) => x.name === name);
    if (!v) throw new Error(`unknown variable $${name}`);
    if (name === "job") return JOB;
    if (!v.includeAll) throw new Error(`variable $${name} has no "All" value the test could use`);
    return ".*";
  });
}

function variableQuery(v: Variable): string {
  return typeof v.query === "string" ? v.query : v.query.query;
}

/** label_values(selector, label) is Grafana's, not PromQL: the same question as a PromQL query. */
function labelValuesAsPromQL(definition: string): { expr: string; label: string } {
  const m = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(definition);
  if (!m?.[1] || !m[2]) throw new Error(`not a label_values() query: ${definition}`);
  return { expr: `group by (${m[2]}) (${m[1]})`, label: m[2] };
}

/** Metric names in docs/observability.md's catalogue (first column), wildcards as prefixes. */
function catalogue(): { exact: Set<string>; prefixes: string[] } {
  const doc = readFileSync(join(root, "docs", "observability.md"), "utf8");
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const line of doc.split("\n")) {
    const first = /^\|\s*(.+?)\s*\|/.exec(line)?.[1];
    if (!first) continue;
    for (const [, name] of first.matchAll(/`([a-z_:*]+)`/g)) {
      if (!name) continue;
      if (name.endsWith("*")) prefixes.push(name.slice(0, -1));
      else exact.add(name);
    }
  }
  return { exact, prefixes };
}

/** Recording rules the dashboards may read (deploy/prometheus/rules, loaded into the test Prometheus). */
function recordedNames(): Set<string> {
  const names = new Set<string>();
  for (const file of ruleFiles()) {
    for (const [, name] of readFileSync(file, "utf8").matchAll(/^\s*-?\s*record:\s*(\S+)/gm)) {
      if (name) names.add(name);
    }
  }
  return names;
}

function ruleFiles(): string[] {
  try {
    return readdirSync(rulesDir)
      .filter((f) => f.endsWith(".yml"))
      .sort()
      .map((f) => join(rulesDir, f));
  } catch {
    return [];
  }
}

/** Every `metric{` in an expression: selectors always carry the job matcher, so all have braces. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map((m) => m[1] as string);
}

/**
 * strictSchema: a misspelt keyword in the schema is an error, not a rule that silently checks nothing.
 * strictTypes and strictRequired stay off: they would demand a `type` and a `properties` entry beside every
 * `required` inside the if/then branches, which say the same thing less readably.
 */
function compileSchema() {
  const schema = JSON.parse(readFileSync(join(root, "deploy", "grafana", "dashboard.schema.json"), "utf8"));
  return new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictRequired: false }).compile(
    schema,
  );
}

function queryPanels(d: Dashboard): Panel[] {
  return d.panels.filter((p) => !(p.type in NO_QUERY_PANELS));
}

describe.skipIf(!enabled)("Grafana dashboards: structure", () => {
  it("there are the five dashboards, with unique uids and titles", () => {
    expect(dashboardFiles).toEqual([
      "ai-inference.json",
      "api-performance.json",
      "cost-tracking.json",
      "system-health.json",
      "user-activity.json",
    ]);
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    const titles = dashboards.map((d) => d.json.title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it("each validates against deploy/grafana/dashboard.schema.json", () => {
    const validate = compileSchema();
    const problems: string[] = [];
    for (const { file, json } of dashboards) {
      if (!validate(json)) {
        for (const e of validate.errors ?? []) problems.push(`${file} ${e.instancePath}: ${e.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("the schema rejects what it should (a panel without queries, a hard-coded data source, a bad uid)", () => {
    // A validator that accepts everything would pass the test above: show it bites.
    const validate = compileSchema();
    const good = structuredClone(dashboards[0]?.json) as Dashboard & Record<string, unknown>;
    expect(validate(good)).toBe(true);
    const noTargets = structuredClone(good);
    const first = noTargets.panels.find((p) => p.targets);
    delete first?.targets;
    expect(validate(noTargets)).toBe(false);
    const hardCoded = structuredClone(good);
    const t = hardCoded.panels.find((p) => p.targets)?.targets?.[0] as unknown as Record<string, unknown>;
    t.datasource = { type: "prometheus", uid: "my-prometheus" };
    expect(validate(hardCoded)).toBe(false);
    expect(validate({ ...good, uid: "Not A Uid" })).toBe(false);
  });

  it("panels have unique ids and do not overlap on the 24-column grid", () => {
    const problems: string[] = [];
    for (const { file, json } of dashboards) {
      const ids = json.panels.map((p) => p.id);
      if (new Set(ids).size !== ids.length) problems.push(`${file}: duplicate panel ids`);
      json.panels.forEach((a, i) => {
        if (a.gridPos.x + a.gridPos.w > 24) problems.push(`${file} "${a.title}": wider than the grid`);
        for (const b of json.panels.slice(i + 1)) {
          const overlap =
            a.gridPos.x < b.gridPos.x + b.gridPos.w &&
            b.gridPos.x < a.gridPos.x + a.gridPos.w &&
            a.gridPos.y < b.gridPos.y + b.gridPos.h &&
            b.gridPos.y < a.gridPos.y + a.gridPos.h;
          if (overlap) problems.push(`${file}: "${a.title}" overlaps "${b.title}"`);
        }
      });
    }
    expect(problems).toEqual([]);
  });

  it("queries use only defined variables and metrics from the catalogue (docs/observability.md) or the rules", () => {
    const { exact, prefixes } = catalogue();
    // sanity: the catalogue was parsed, so an empty set cannot make every name "unknown" silently pass
    expect(exact.has("lectern_llm_cost_usd_total")).toBe(true);
    const recorded = recordedNames();
    const known = (name: string) => {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      return (
        exact.has(name) ||
        exact.has(base) ||
        recorded.has(name) ||
        name === "up" ||
        prefixes.some((p) => name.startsWith(p))
      );
    };
    const problems: string[] = [];
    for (const { file, json } of dashboards) {
      const exprs = [
        ...queryPanels(json).flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
        ...json.templating.list
          .filter((v) => v.type === "query")
          .map((v) => ({ where: `$${v.name}`, expr: variableQuery(v) })),
      ];
      for (const { where, expr } of exprs) {
        try {
          substitute(expr, json.templating.list);
        } catch (err) {
          problems.push(`${file} "${where}": ${(err as Error).message}`);
        }
        for (const name of metricNames(expr)) {
          if (!known(name)) problems.push(`${file} "${where}": ${name} is not in the metric catalogue`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("latency panels over histograms show exemplars (trace links)", () => {
    const problems: string[] = [];
    for (const { file, json } of dashboards) {
      for (const p of json.panels) {
        if (p.type !== "timeseries" && p.type !== "heatmap") continue;
        for (const t of p.targets ?? []) {
          if (/_seconds_bucket\{/.test(t.expr) && !t.exemplar)
            problems.push(`${file} "${p.title}" ${t.refId}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

// --- the live check ------------------------------------------------------------------------------------

interface Child {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

const children: Child[] = [];
const dirs: string[] = [];
let otlpSink: Server | undefined;

function startChild(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const collect = (chunk: string) => {
    // Keep the tail only: Prometheus and the server are chatty over a long run.
    out = (out + chunk).slice(-20_000);
  };
  child.stdout?.setEncoding("utf8").on("data", collect);
  child.stderr?.setEncoding("utf8").on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const c = { name, child, output: () => out, exited };
  children.push(c);
  return c;
}

async function stopChild(c: Child): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill("SIGTERM");
  const timer = setTimeout(() => c.child.kill("SIGKILL"), 10_000);
  await c.exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  log: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`${what} within ${timeoutMs} ms (last error: ${String(last)}):\n${log()}`);
}

interface PromResponse {
  status: "success" | "error";
  error?: string;
  data?: { resultType: string; result: unknown };
}
type Sample = { metric: Record<string, string>; value: [number, string] };

async function promQuery(base: string, expr: string): Promise<PromResponse> {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: expr })}`, {
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as PromResponse;
}

/** "" when the query returned data (at least one finite sample), otherwise why not. */
function noData(r: PromResponse): string {
  if (r.status !== "success") return `error: ${r.error}`;
  const { resultType, result } = r.data ?? { resultType: "", result: null };
  if (resultType === "scalar") {
    const v = Number((result as [number, string])[1]);
    return Number.isFinite(v) ? "" : `scalar ${v}`;
  }
  if (resultType !== "vector") return `unexpected result type ${resultType}`;
  const samples = result as Sample[];
  if (samples.length === 0) return "empty result";
  if (!samples.some((s) => Number.isFinite(Number(s.value[1])))) {
    return `no finite value (${samples.map((s) => s.value[1]).join(", ")})`;
  }
  return "";
}

describe.skipIf(!enabled || skipQueries)("Grafana dashboards: every panel query returns data", () => {
  let prom = "";
  let server = "";
  let traffic: Record<string, number> = {};
  let started: Started = { evaluationRuns: 0, workflowRuns: 0 };
  let otlpRequests = 0;

  beforeAll(
    async () => {
      if (!prometheusFound) throw new Error(MISSING_PROMETHEUS);

      // Traces go to a sink that accepts OTLP/HTTP, so requests run inside spans and the latency
      // histograms carry trace-id exemplars, as with Tempo.
      otlpSink = createServer((req, res) => {
        req.resume().on("end", () => {
          otlpRequests++;
          res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
        });
      });
      await new Promise<void>((resolve) => otlpSink?.listen(0, "127.0.0.1", resolve));
      const otlpPort = (otlpSink.address() as AddressInfo).port;

      const dir = mkdtempSync(join(tmpdir(), "lectern-dashboards-"));
      dirs.push(dir);
      const token = randomBytes(24).toString("hex");
      const lectern = startChild("lectern", process.execPath, [join(root, "bin", "lectern.js"), "serve"], {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? tmpdir(),
        PORT: "0",
        LECTERN_DATA_DIR: join(dir, "data"),
        LOG_LEVEL: "warn",
        LECTERN_METRICS_TOKEN: token,
        LECTERN_MOCK_LATENCY_MS: "5",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      });
      server = await waitFor(
        "lectern serve printed no listening line",
        START_TIMEOUT_MS,
        async () => /^Lectern \S+ listening on (http:\/\/\S+) /m.exec(lectern.output())?.[1],
        lectern.output,
      );
      const output = lectern.output();
      const apiKey = /^LECTERN_API_KEY=(lk_\S+)$/m.exec(output)?.[1];
      const email = /^ {2}admin email: +(\S+)$/m.exec(output)?.[1];
      const password = /^ {2}admin password: (\S+)$/m.exec(output)?.[1];
      expect(apiKey, output).toBeDefined();
      expect(email, output).toBeDefined();
      expect(password, output).toBeDefined();

      const tokenFile = join(dir, "metrics-token");
      writeFileSync(tokenFile, token, { mode: 0o600 });
      const promPort = await freePort();
      const config = {
        global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
        // The SLO recording rules some panels read; the same files the Helm chart wraps.
        rule_files: ruleFiles(),
        scrape_configs: [
          {
            job_name: JOB,
            metrics_path: "/metrics",
            authorization: { type: "Bearer", credentials_file: tokenFile },
            static_configs: [{ targets: [new URL(server).host] }],
          },
        ],
      };
      writeFileSync(join(dir, "prometheus.yml"), stringify(config));
      const prometheus = startChild(
        "prometheus",
        PROMETHEUS,
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "tsdb")}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          "--enable-feature=exemplar-storage",
          "--log.level=warn",
        ],
        { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() },
      );
      prom = `http://127.0.0.1:${promPort}`;
      await waitFor(
        "Prometheus was not scraping Lectern (up == 1)",
        30_000,
        async () => {
          if (prometheus.child.exitCode !== null)
            throw new Error(`prometheus exited ${prometheus.child.exitCode}`);
          const r = await promQuery(prom, `up{job="${JOB}"} == 1`);
          return noData(r) === "" ? true : undefined;
        },
        () => `${prometheus.output()}\n${lectern.output()}`,
      );

      ({ statuses: traffic, started } = await generateTraffic(
        server,
        apiKey as string,
        { email: email as string, password: password as string },
        TRAFFIC_MS,
      ));
      // Let the last requests be scraped (1 s interval) and the rules evaluated once more.
      await sleep(3_000);
    },
    START_TIMEOUT_MS + 30_000 + TRAFFIC_MS + 30_000,
  );

  afterAll(async () => {
    // Runs after a failure too: no process may outlive the suite.
    await Promise.all(children.map(stopChild));
    await new Promise<void>((resolve) => (otlpSink ? otlpSink.close(() => resolve()) : resolve()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("the traffic generator produced successes, streams, 4xx and 5xx", () => {
    expect(traffic["200"] ?? 0, JSON.stringify(traffic)).toBeGreaterThan(100);
    for (const status of ["400", "401", "404", "502"]) {
      expect(traffic[status] ?? 0, `${status} in ${JSON.stringify(traffic)}`).toBeGreaterThan(0);
    }
    expect(otlpRequests, "spans were exported").toBeGreaterThan(0);
  });

  it("evaluation runs and workflow runs ran in the background: finished, and in flight at some scrape", async () => {
    // The panels only need a sample; this shows the samples mean something: the runner finished the runs
    // the generator started (both item outcomes), and the workflow gauge was above 0 while they ran.
    const value = async (expr: string) => {
      const r = await promQuery(prom, expr);
      expect(noData(r), expr).toBe("");
      return Number(((r.data?.result ?? []) as Sample[])[0]?.value[1]);
    };
    expect(started.evaluationRuns, "evaluation runs started").toBeGreaterThanOrEqual(3);
    expect(started.workflowRuns, "workflow runs started").toBeGreaterThanOrEqual(5);
    const finished = await value(`sum(lectern_evaluation_jobs_processed_total{job="${JOB}"})`);
    expect(finished, "evaluation runs finished").toBeGreaterThanOrEqual(started.evaluationRuns - 1);
    for (const status of ["succeeded", "failed"]) {
      const items = await value(
        `sum(lectern_evaluation_items_processed_total{job="${JOB}",status="${status}"})`,
      );
      expect(items, `evaluation items ${status}`).toBeGreaterThan(0);
    }
    const peak = await value(`max_over_time(lectern_workflows_active{job="${JOB}"}[5m])`);
    console.log(
      `background runs: ${started.evaluationRuns} evaluation runs started, ${finished} finished; ` +
        `${started.workflowRuns} workflow runs started, at most ${peak} active at a scrape`,
    );
    expect(peak, "lectern_workflows_active above 0 at some scrape").toBeGreaterThan(0);
  });

  it("every variable query returns values, and $job offers the test job", async () => {
    const failures: string[] = [];
    for (const { file, json } of dashboards) {
      for (const v of json.templating.list.filter((x) => x.type === "query")) {
        const { expr, label } = labelValuesAsPromQL(substitute(variableQuery(v), json.templating.list));
        const r = await promQuery(prom, expr);
        const values = (r.data?.result ?? []) as Sample[];
        const why = r.status !== "success" ? `error: ${r.error}` : values.length ? "" : "no values";
        if (why) failures.push(`${file} $${v.name}: ${expr} → ${why}`);
        if (v.name === "job" && !values.some((s) => s.metric[label] === JOB)) {
          failures.push(`${file} $job does not offer "${JOB}"`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("every query of every panel parses and returns data", async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const { file, json } of dashboards) {
      for (const panel of queryPanels(json)) {
        for (const target of panel.targets ?? []) {
          checked++;
          let expr = target.expr;
          let why: string;
          try {
            expr = substitute(target.expr, json.templating.list);
            why = noData(await promQuery(prom, expr));
          } catch (err) {
            why = (err as Error).message;
          }
          if (why) failures.push(`${file} "${panel.title}" ${target.refId}: ${why}\n    ${expr}`);
        }
      }
    }
    console.log(`dashboard queries checked against Prometheus: ${checked}, failing: ${failures.length}`);
    expect(failures, failures.join("\n")).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it("latency queries with exemplars enabled find trace-id exemplars", async () => {
    const failures: string[] = [];
    const end = Date.now() / 1000;
    for (const { file, json } of dashboards) {
      for (const panel of queryPanels(json)) {
        for (const target of (panel.targets ?? []).filter((t) => t.exemplar)) {
          const expr = substitute(target.expr, json.templating.list);
          const params = new URLSearchParams({ query: expr, start: String(end - 300), end: String(end) });
          const res = await fetch(`${prom}/api/v1/query_exemplars?${params}`, {
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as {
            status: string;
            data?: Array<{ exemplars: Array<{ labels: Record<string, string> }> }>;
          };
          const withTrace = (body.data ?? []).some((s) =>
            s.exemplars.some((e) => /^[0-9a-f]{32}$/.test(e.labels.trace_id ?? "")),
          );
          if (body.status !== "success" || !withTrace)
            failures.push(`${file} "${panel.title}" ${target.refId}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

interface Started {
  evaluationRuns: number;
  workflowRuns: number;
}

/** Time between the background runs the generator starts (a workflow run each time, an evaluation run every other time). */
const BACKGROUND_EVERY_MS = 2_500;
/** No new background run this close to the end, so the last ones finish (and are scraped) in the window. */
const BACKGROUND_TAIL_MS = 8_000;

/**
 * A bounded mix of what the dashboards show: prompt executions (plain and streamed, so TTFT exists), the
 * OpenAI-compatible gateway, a second model, provider failures (502), validation errors (400), unknown
 * routes (404) and sign-ins (200 and 401); and, run by the server's own job runner, small evaluation runs
 * (5 items × mock/echo, every other one also × mock/error, so items succeed and fail) and workflow runs of
 * two chained mock/slow prompt steps (about 2 s each, so lectern_workflows_active is above 0 while they
 * run). Returns the count of responses per status and how many runs were started.
 */
async function generateTraffic(
  base: string,
  apiKey: string,
  admin: { email: string; password: string },
  durationMs: number,
): Promise<{ statuses: Record<string, number>; started: Started }> {
  const statuses: Record<string, number> = {};
  const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const send = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = auth,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    // Read streams to the end, so the execution (and its TTFT) completes.
    const text = await res.text();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    return { status: res.status, text };
  };

  const created = await send("POST", "/api/v1/prompts", {
    name: "dashboard-traffic",
    version: { model: "mock/echo", messages: [{ role: "user", content: "Summarise {{topic}}" }] },
  });
  expect(created.status, created.text).toBe(201);
  const promptId = (JSON.parse(created.text) as { id: string }).id;

  const dataset = await send("POST", "/api/v1/datasets", {
    name: "dashboard-traffic",
    items: ["alpha", "beta", "gamma", "delta", "epsilon"].map((topic) => ({ variables: { topic } })),
  });
  expect(dataset.status, dataset.text).toBe(201);
  const datasetId = (JSON.parse(dataset.text) as { id: string }).id;
  const step = (id: string, topic: string) => ({
    id,
    type: "prompt",
    prompt_id: promptId,
    model: "mock/slow",
    variables: { topic },
  });
  const workflow = await send("POST", "/api/v1/workflows", {
    name: "dashboard-traffic",
    definition: {
      inputs: [{ name: "topic" }],
      steps: [step("first", "{{inputs.topic}}"), step("second", "{{steps.first.output}}")],
      output: "{{steps.second.output}}",
    },
  });
  expect(workflow.status, workflow.text).toBe(201);
  const workflowId = (JSON.parse(workflow.text) as { id: string }).id;
  const chat = (model: string, stream = false) => ({
    model,
    stream,
    messages: [{ role: "user", content: "hello" }],
  });

  const until = Date.now() + durationMs;
  const worker = async (w: number) => {
    for (let i = 0; Date.now() < until; i++) {
      await send("POST", `/api/v1/prompts/${promptId}/execute`, { variables: { topic: `t${i}` } });
      await send("POST", `/api/v1/prompts/${promptId}/execute`, {
        variables: { topic: `s${i}` },
        stream: true,
      });
      await send("POST", "/v1/chat/completions", chat("mock/echo"));
      await send("POST", "/v1/chat/completions", chat("mock/lorem", true));
      await send("POST", "/api/v1/executions", chat("mock/error"));
      await send("POST", "/api/v1/executions", { model: "mock/echo" });
      await send("GET", "/api/v1/no-such-route");
      if (i % 5 === w) {
        const json = { "content-type": "application/json" };
        await send("POST", "/api/v1/auth/login", admin, json);
        await send("POST", "/api/v1/auth/login", { ...admin, password: "wrong-password" }, json);
      }
      await sleep(20);
    }
  };
  const started: Started = { evaluationRuns: 0, workflowRuns: 0 };
  const background = async () => {
    for (let i = 0; Date.now() < until - BACKGROUND_TAIL_MS; i++) {
      if (i % 2 === 0) {
        const run = await send("POST", "/api/v1/evaluations/batch", {
          name: `dashboard-traffic-${i}`,
          dataset_id: datasetId,
          targets: [{ prompt_id: promptId }],
          models: i % 4 === 0 ? ["mock/echo"] : ["mock/echo", "mock/error"],
          evaluators: [{ type: "contains", value: "Echo" }],
        });
        expect(run.status, run.text).toBe(202);
        started.evaluationRuns++;
      }
      const run = await send("POST", `/api/v1/workflows/${workflowId}/execute`, {
        inputs: { topic: `w${i}` },
      });
      expect(run.status, run.text).toBe(202);
      started.workflowRuns++;
      await sleep(BACKGROUND_EVERY_MS);
    }
  };
  await Promise.all([...[0, 1, 2].map(worker), background()]);
  return { statuses, started };
}
