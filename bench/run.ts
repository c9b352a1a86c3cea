/**
 * Load test of the real server: `npm run bench` (see bench/README.md).
 *
 * Starts `bin/lectern.js serve` as a child process in embedded mode on a free port with a throwaway data
 * directory, takes the API key it prints on first start, creates one prompt, then loads each scenario in
 * turn with autocannon and records the numbers in bench/results/.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

// autocannon ships no types and package.json is not ours to change: this is the part of its API we use.
interface Histogram {
  average: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  total: number;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Histogram;
  requests: Histogram;
}
interface AutocannonOptions {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (
  opts: AutocannonOptions,
) => Promise<AutocannonResult>;

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(root, "bench", "results");

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

const settings = {
  durationS: intEnv("BENCH_DURATION_S", 15, 1),
  connections: intEnv("BENCH_CONNECTIONS", 50, 1),
  /** discarded run before each scenario, so the first scenario does not pay for JIT warm-up alone */
  warmupS: intEnv("BENCH_WARMUP_S", 3, 0),
  /** 0 by default: the mock's simulated model latency would otherwise dominate and hide Lectern's own cost */
  mockLatencyMs: intEnv("LECTERN_MOCK_LATENCY_MS", 0, 0),
  /** info is the production default: one JSON line per request, written to a file as a service would */
  logLevel: process.env.BENCH_LOG_LEVEL || "info",
  /**
   * Set to a PostgreSQL server URL to bench distributed mode: a fresh database is created on that server
   * for the run and dropped afterwards. Unset: embedded mode on PGlite.
   */
  databaseUrl: process.env.BENCH_DATABASE_URL || "",
};

/** A throwaway database on the BENCH_DATABASE_URL server, so first-run setup prints a key. */
async function createBenchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lectern_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

interface Scenario {
  name: string;
  what: string;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** the request sent once before loading: a broken scenario fails loudly instead of benchmarking 4xx */
  check(body: string): boolean;
}

function scenarios(promptId: string): Scenario[] {
  return [
    {
      name: "execute",
      what: "POST /api/v1/prompts/{id}/execute: auth, template render, mock/echo, execution + usage rows",
      method: "POST",
      path: `/api/v1/prompts/${promptId}/execute`,
      body: { variables: { topic: "load testing" } },
      check: (b) => b.includes("Echo: Summarize load testing in one line"),
    },
    {
      name: "chat",
      what: "POST /v1/chat/completions (non-streaming): the OpenAI-compatible gateway on mock/echo",
      method: "POST",
      path: "/v1/chat/completions",
      body: {
        model: "mock/echo",
        messages: [{ role: "user", content: "Summarize load testing in one line" }],
      },
      check: (b) => b.includes('"chat.completion"'),
    },
    {
      name: "healthz",
      what: "GET /healthz: no auth, no database; the HTTP stack's floor on this machine",
      method: "GET",
      path: "/healthz",
      check: (b) => b.includes('"ok"'),
    },
  ];
}

function selectedNames(all: string[]): string[] {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { scenario: { type: "string", multiple: true } },
    strict: true,
  });
  const wanted = [
    ...(values.scenario ?? []),
    ...(process.env.BENCH_SCENARIOS ? [process.env.BENCH_SCENARIOS] : []),
  ]
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${all.join(", ")}`);
  return wanted.length ? wanted : all;
}

interface Server {
  child: ChildProcess;
  url: string;
  apiKey: string;
  version: string;
  mode: string;
  driver: string;
  log(): string;
  exited: Promise<number | null>;
}

/** Start the server with its output going to a file (like a service's log), and read the first-run lines from it. */
async function startServer(dataDir: string, databaseUrl: string | null): Promise<Server> {
  const logFile = join(dataDir, "server.log");
  const fd = openSync(logFile, "w");
  const child = spawn(process.execPath, [join(root, "bin", "lectern.js"), "serve"], {
    cwd: root,
    // Built from scratch: a DATABASE_URL in the caller's shell must not point the bench at a real database.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      PORT: "0",
      HOST: "127.0.0.1",
      LECTERN_DATA_DIR: dataDir,
      LOG_LEVEL: settings.logLevel,
      LECTERN_MOCK_LATENCY_MS: String(settings.mockLatencyMs),
      ...(databaseUrl
        ? {
            DATABASE_URL: databaseUrl,
            LECTERN_MASTER_KEY: randomBytes(32).toString("hex"),
            LECTERN_MOCK_PROVIDER: "true",
          }
        : {}),
    },
    stdio: ["ignore", fd, fd],
  });
  const log = () => readFileSync(logFile, "utf8");
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      exitCode = code;
      resolve(code);
    });
  });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const out = log();
      const listening = /^Lectern (\S+) listening on (http:\/\/\S+) \((\w+) mode, (\w+)\)$/m.exec(out);
      if (listening) {
        const apiKey = /^LECTERN_API_KEY=(lk_\S+)$/m.exec(out)?.[1];
        if (!apiKey) throw new Error(`the server printed no API key; is ${dataDir} really empty?\n${out}`);
        const [, version = "", url = "", mode = "", driver = ""] = listening;
        return { child, url, apiKey, version, mode, driver, log, exited };
      }
      if (exitCode !== undefined)
        throw new Error(`the server exited (${exitCode}) before listening:\n${out}`);
      if (Date.now() > deadline) throw new Error(`the server did not start within 60 s:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    // The caller has no handle on the child yet: don't leave it running.
    child.kill("SIGKILL");
    throw err;
  }
}

async function stopServer(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 30_000);
  try {
    return await server.exited;
  } finally {
    clearTimeout(timer);
  }
}

async function request(server: Server, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.apiKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

interface ScenarioResult {
  name: string;
  what: string;
  requests: number;
  req_per_s: number;
  latency_ms: { avg: number; p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  status_codes: Record<string, number>;
}

async function load(server: Server, s: Scenario): Promise<ScenarioResult> {
  const opts = (duration: number): AutocannonOptions => ({
    url: `${server.url}${s.path}`,
    method: s.method,
    headers: {
      authorization: `Bearer ${server.apiKey}`,
      ...(s.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(s.body === undefined ? {} : { body: JSON.stringify(s.body) }),
    connections: settings.connections,
    duration,
  });
  if (settings.warmupS > 0) await autocannon(opts(settings.warmupS));
  const r = await autocannon(opts(settings.durationS));
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    name: s.name,
    what: s.what,
    requests: r.requests.total,
    req_per_s: round(r.requests.average),
    latency_ms: {
      avg: round(r.latency.average),
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
    },
    errors: r.errors,
    timeouts: r.timeouts,
    non_2xx: r.non2xx,
    status_codes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, v]) => [code, v.count])),
  };
}

/** HEAD and whether tracked files differ from it; plumbing only, so the index is never rewritten. */
function gitCommit(): { commit: string; modified: boolean } | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    let modified = false;
    try {
      execFileSync("git", ["diff-index", "--quiet", "HEAD", "--"], { cwd: root, stdio: "ignore" });
    } catch {
      modified = true;
    }
    return { commit, modified };
  } catch {
    return null;
  }
}

function table(results: ScenarioResult[]): string {
  const floor = results.find((r) => r.name === "healthz");
  const rows = [
    [
      "scenario",
      "req/s",
      ...(floor ? ["vs healthz"] : []),
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "max ms",
      "errors",
      "non-2xx",
    ],
    ...results.map((r) => [
      r.name,
      r.req_per_s.toFixed(0),
      ...(floor ? [`${((100 * r.req_per_s) / floor.req_per_s).toFixed(1)} %`] : []),
      String(r.latency_ms.p50),
      String(r.latency_ms.p90),
      String(r.latency_ms.p99),
      String(r.latency_ms.max),
      String(r.errors),
      String(r.non_2xx),
    ]),
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const [head = [], ...body] = rows;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...body.map(line)].join("\n");
}

async function main(): Promise<void> {
  const names = selectedNames(scenarios("x").map((s) => s.name));
  const dataDir = mkdtempSync(join(tmpdir(), "lectern-bench-"));
  // Other work on the machine shows up here: a busy box explains a slow run.
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  let server: Server | undefined;
  const database = settings.databaseUrl ? await createBenchDatabase(settings.databaseUrl) : null;
  try {
    process.stdout.write(
      `bench: ${names.join(", ")} · ${settings.durationS} s each (+${settings.warmupS} s warm-up) · ` +
        `${settings.connections} connections · mock latency ${settings.mockLatencyMs} ms\n`,
    );
    server = await startServer(dataDir, database?.url ?? null);
    process.stdout.write(
      `server: Lectern ${server.version} on ${server.url} (${server.mode}, ${server.driver})\n`,
    );

    const prompt = await request(server, "POST", "/api/v1/prompts", {
      name: "bench",
      version: {
        model: "mock/echo",
        messages: [{ role: "user", content: "Summarize {{topic}} in one line" }],
      },
    });
    if (prompt.status !== 201) throw new Error(`creating the prompt: ${prompt.status} ${prompt.text}`);
    const promptId = (JSON.parse(prompt.text) as { id: string }).id;

    const chosen = scenarios(promptId).filter((s) => names.includes(s.name));
    for (const s of chosen) {
      const probe = await request(server, s.method, s.path, s.body);
      if (probe.status !== 200 || !s.check(probe.text)) {
        throw new Error(`scenario ${s.name}: ${s.method} ${s.path} answered ${probe.status} ${probe.text}`);
      }
    }

    const results: ScenarioResult[] = [];
    for (const s of chosen) {
      process.stdout.write(`loading ${s.name} …\n`);
      results.push(await load(server, s));
    }
    const serverExit = await stopServer(server);

    const when = new Date();
    const cpuList = cpus();
    const report = {
      date: when.toISOString(),
      lectern_version: server.version,
      git: gitCommit(),
      machine: {
        cpu_model: cpuList[0]?.model ?? "unknown",
        cpu_count: cpuList.length,
        total_memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        os: `${platform()} ${release()}`,
        load_average_1m_at_start: loadAtStart,
        load_average_1m_at_end: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      },
      node_version: process.version,
      mode: server.mode,
      database_driver: server.driver,
      settings: {
        duration_s: settings.durationS,
        warmup_s: settings.warmupS,
        connections: settings.connections,
        mock_latency_ms: settings.mockLatencyMs,
        log_level: settings.logLevel,
        load_generator: "autocannon, in one process on the same machine as the server",
      },
      results,
      server_exit_code: serverExit,
    };

    const md = [
      `# Lectern bench, ${report.date.slice(0, 10)}`,
      "",
      `Lectern ${report.lectern_version}${report.git ? ` (${report.git.commit}${report.git.modified ? " with uncommitted changes" : ""})` : ""}, ${report.mode} mode on ` +
        `${report.database_driver}, Node ${report.node_version}, ${report.machine.cpu_count} × ` +
        `${report.machine.cpu_model}, ${report.machine.total_memory_gib} GiB, ${report.machine.os}.`,
      `${settings.connections} connections, ${settings.durationS} s per scenario after ${settings.warmupS} s of ` +
        `warm-up, mock latency ${settings.mockLatencyMs} ms, LOG_LEVEL=${settings.logLevel}; 1-minute load ` +
        `average ${report.machine.load_average_1m_at_start} before and ${report.machine.load_average_1m_at_end} after.`,
      "",
      table(results),
      "",
      "Read the ratios, not the absolute numbers: the load generator shares the machine's cores with the",
      "server (and on a shared CI or development box, with whatever else runs), so absolute req/s and",
      "latencies move from run to run. How far each endpoint sits below the /healthz floor is what a change",
      "to the request path shows up in. See bench/README.md.",
      "",
      ...results.map((r) => `- **${r.name}**: ${r.what}`),
      "",
    ].join("\n");

    const stamp = report.date.slice(0, 16).replace(/[:T]/g, "-");
    const base = join(resultsDir, `${stamp}-${report.database_driver}`);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.md`, md);

    process.stdout.write(`\n${table(results)}\n\nwrote ${base}.json and ${base}.md\n`);
    const bad = results.filter((r) => r.errors > 0 || r.non_2xx > 0);
    if (bad.length) {
      process.stderr.write(`bench: errors or non-2xx answers in ${bad.map((r) => r.name).join(", ")}\n`);
      process.exitCode = 1;
    }
    if (serverExit !== 0) {
      process.stderr.write(`bench: the server exited with ${serverExit} after SIGTERM\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    if (server) process.stderr.write(`--- server log (tail) ---\n${server.log().slice(-4000)}\n`);
    throw err;
  } finally {
    if (server) await stopServer(server);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  // The message says what went wrong (and the server log tail is already printed); a stack adds nothing.
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
