import { performance } from "node:perf_hooks";
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  Registry,
} from "prom-client";
import type { PoolStats } from "../../lib/db.ts";

/**
 * Every Prometheus metric Lectern exports, in one registry built once per process (deps.metrics).
 * Names follow OpenTelemetry semantic conventions where they exist (HTTP, GenAI, db.client), Prometheus style
 * (unit suffix, _total on counters). Cardinality rule (docs/observability.md): labels are bounded sets only —
 * route templates, status codes, tier, provider, catalog model, token type, closed error types. Never an
 * org, user, key, prompt or execution id.
 */

/** Include 2 s exactly: the p99 > 2 s alert and the latency SLO need a bucket boundary at the threshold. */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2, 2.5, 5, 7.5, 10];
/** GenAI semconv advice for operation duration, plus 2 s. */
export const GENAI_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** GenAI semconv advice for token usage. */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

const PROVIDER = "gen_ai_provider_name";
const MODEL = "gen_ai_request_model";
const OPERATION = "gen_ai_operation_name";

export interface MetricsSources {
  poolStats(): PoolStats;
  /** aggregate activity counts for the user-activity dashboard; cached by the caller */
  activity(): Promise<{ activeUsers24h: number; activeKeys24h: number }>;
  /** queued + running workflow runs, all organizations (one indexed count); cached by the caller */
  activeWorkflowRuns?: () => Promise<number>;
  build: { version: string; mode: string; driver: string };
}

export function createMetrics(sources: MetricsSources) {
  // OpenMetrics, because only it carries exemplars (trace ids on latency buckets); Prometheus reads it natively.
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry });

  let lastElu = performance.eventLoopUtilization();
  new Gauge({
    name: "nodejs_eventloop_utilization_ratio",
    help: "Event-loop utilization since the previous scrape (0-1)",
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    },
  });

  new Gauge({
    name: "lectern_build_info",
    help: "Always 1; labels carry the version, mode and database driver",
    labelNames: ["version", "mode", "db_driver"],
    registers: [registry],
    collect() {
      this.set(
        { version: sources.build.version, mode: sources.build.mode, db_driver: sources.build.driver },
        1,
      );
    },
  });

  const httpDuration = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests, by method, route template and status code",
    labelNames: ["http_request_method", "http_route", "http_response_status_code"],
    buckets: HTTP_BUCKETS,
    registers: [registry],
    enableExemplars: true,
  });
  const httpActive = new Gauge({
    name: "http_server_active_requests",
    help: "HTTP requests in flight",
    labelNames: ["http_request_method"],
    registers: [registry],
  });

  const llmDuration = new Histogram({
    name: "gen_ai_client_operation_duration_seconds",
    help: "Duration of model calls to providers (GenAI semconv); error_type is set on failures",
    labelNames: [PROVIDER, MODEL, OPERATION, "error_type"],
    buckets: GENAI_DURATION_BUCKETS,
    registers: [registry],
    enableExemplars: true,
  });
  const llmTtft = new Histogram({
    name: "gen_ai_client_operation_time_to_first_chunk_seconds",
    help: "Time from the start of a streamed model call to its first chunk (GenAI semconv)",
    labelNames: [PROVIDER, MODEL, OPERATION],
    buckets: GENAI_DURATION_BUCKETS,
    registers: [registry],
    enableExemplars: true,
  });
  const llmTokenUsage = new Histogram({
    name: "gen_ai_client_token_usage",
    help: "Tokens per model call by type input|output (GenAI semconv)",
    labelNames: [PROVIDER, MODEL, OPERATION, "gen_ai_token_type"],
    buckets: TOKEN_BUCKETS,
    registers: [registry],
  });
  const llmErrors = new Counter({
    name: "lectern_llm_errors_total",
    help: "Failed model calls by closed error type (rate_limited, overloaded, invalid_request, auth, timeout, upstream_error)",
    labelNames: [PROVIDER, MODEL, "error_type"],
    registers: [registry],
  });

  const executions = new Counter({
    name: "lectern_prompt_executions_total",
    help: "Model executions recorded (prompt, playground, gateway, evaluation, workflow); rate() gives executions per second",
    labelNames: ["source", "status", "tier", PROVIDER, MODEL],
    registers: [registry],
  });
  const tokens = new Counter({
    name: "lectern_llm_tokens_total",
    help: "Tokens metered, by type input|output|cached_input|reasoning; rate() gives the token usage rate",
    labelNames: [PROVIDER, MODEL, "gen_ai_token_type", "tier"],
    registers: [registry],
  });
  const cost = new Counter({
    name: "lectern_llm_cost_usd_total",
    help: "Metered cost in USD (a monitoring approximation; invoices use the exact database sums)",
    labelNames: [PROVIDER, MODEL, "tier"],
    registers: [registry],
  });

  const evaluationJobs = new Counter({
    name: "lectern_evaluation_jobs_processed_total",
    help: "Evaluation runs finished, by status succeeded|failed|cancelled",
    labelNames: ["status"],
    registers: [registry],
  });
  const evaluationItems = new Counter({
    name: "lectern_evaluation_items_processed_total",
    help: "Evaluation cells (item × prompt version × model) finished, by status succeeded|failed",
    labelNames: ["status"],
    registers: [registry],
  });

  let activityCache: { at: number; value: { activeUsers24h: number; activeKeys24h: number } } | null = null;
  const activity = async () => {
    const now = Date.now();
    if (!activityCache || now - activityCache.at > 30_000) {
      activityCache = { at: now, value: await sources.activity() };
    }
    return activityCache.value;
  };
  new Gauge({
    name: "lectern_active_users",
    help: "Distinct users with an execution in the window (aggregate count; no ids)",
    labelNames: ["window"],
    registers: [registry],
    async collect() {
      this.set({ window: "24h" }, (await activity()).activeUsers24h);
    },
  });
  new Gauge({
    name: "lectern_active_api_keys",
    help: "Distinct API keys used in the window (aggregate count; no ids)",
    labelNames: ["window"],
    registers: [registry],
    async collect() {
      this.set({ window: "24h" }, (await activity()).activeKeys24h);
    },
  });

  // Scrapes every few seconds from several Prometheus replicas must not each cost a query: cache 5 s.
  let workflowsCache: { at: number; value: number } | null = null;
  new Gauge({
    name: "lectern_workflows_active",
    help: "Workflow runs queued or running, all organizations (aggregate count; no ids)",
    registers: [registry],
    async collect() {
      if (!sources.activeWorkflowRuns) return;
      const now = Date.now();
      if (!workflowsCache || now - workflowsCache.at > 5_000) {
        workflowsCache = { at: now, value: await sources.activeWorkflowRuns() };
      }
      this.set(workflowsCache.value);
    },
  });

  const pool = { pool_name: "main" };
  new Gauge({
    name: "db_client_connection_count",
    help: "Database connections by state used|idle (OTel db.client.connection.count)",
    labelNames: ["state", "pool_name"],
    registers: [registry],
    collect() {
      const s = sources.poolStats();
      this.set({ ...pool, state: "used" }, s.total - s.idle);
      this.set({ ...pool, state: "idle" }, s.idle);
    },
  });
  new Gauge({
    name: "db_client_connection_max",
    help: "Maximum database connections in the pool",
    labelNames: ["pool_name"],
    registers: [registry],
    collect() {
      this.set(pool, sources.poolStats().max);
    },
  });
  new Gauge({
    name: "db_client_connection_pending_requests",
    help: "Requests waiting for a database connection",
    labelNames: ["pool_name"],
    registers: [registry],
    collect() {
      this.set(pool, sources.poolStats().waiting);
    },
  });
  const dbWait = new Histogram({
    name: "db_client_connection_wait_time_seconds",
    help: "Time to obtain a database connection from the pool",
    labelNames: ["pool_name"],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const dbTimeouts = new Counter({
    name: "db_client_connection_timeouts_total",
    help: "Database connection acquisitions that timed out",
    labelNames: ["pool_name"],
    registers: [registry],
  });

  /** Last outcome per provider, for /api/v1/health/detailed (a handful of providers: bounded). */
  const providerStatus = new Map<
    string,
    {
      lastSuccessAt: string | null;
      lastError: { type: string; at: string } | null;
      calls: number;
      errors: number;
    }
  >();

  return {
    registry,
    providerStatus,
    http: { duration: httpDuration, active: httpActive },
    llm: { duration: llmDuration, ttft: llmTtft, tokenUsage: llmTokenUsage, errors: llmErrors },
    business: { executions, tokens, cost },
    evaluations: { jobs: evaluationJobs, items: evaluationItems },
    db: {
      observeWait: (seconds: number) => dbWait.observe(pool, seconds),
      timeout: () => dbTimeouts.inc(pool),
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
