import { z } from "zod";

/**
 * The only reader of process.env. One schema; boot fails listing every bad variable at once.
 * Every variable here is documented in README.md's configuration table (a test keeps them in step).
 */
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: z.string().url().optional(),
  LECTERN_DATA_DIR: z.string().min(1).default("./.lectern"),
  LECTERN_MASTER_KEY: z.string().optional(),
  LECTERN_DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  LECTERN_MOCK_PROVIDER: bool.optional(),
  LECTERN_MOCK_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(40),
  LECTERN_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(120_000),
  LECTERN_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  LECTERN_SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 7),
  LECTERN_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  LECTERN_ADMIN_EMAIL: z.string().email().default("admin@lectern.local"),
  LECTERN_TRUST_PROXY: bool.default(false),
  LECTERN_WORKER: bool.default(true),
  LECTERN_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  LECTERN_JOB_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  LECTERN_JOB_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  LECTERN_METRICS_TOKEN: z.string().min(16, "use at least 16 characters").optional(),
  LECTERN_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  LECTERN_METRICS_HOST: z.string().min(1).default("0.0.0.0"),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("lectern"),
  OPENAI_BASE_URL: z.string().url().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  GEMINI_BASE_URL: z.string().url().optional(),
});

export type Env = z.infer<typeof schema>;

export interface Config extends Env {
  /** embedded: PGlite + in-process everything; distributed: PostgreSQL (and Redis once configured) */
  mode: "embedded" | "distributed";
  mockProvider: boolean;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const cfg = parsed.data;
  const mode = cfg.DATABASE_URL ? "distributed" : "embedded";
  if (mode === "distributed" && !cfg.LECTERN_MASTER_KEY) {
    problems.push(
      "LECTERN_MASTER_KEY: required when DATABASE_URL is set (every replica must share it; 64 hex chars or base64 of 32 bytes)",
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return { ...cfg, mode, mockProvider: cfg.LECTERN_MOCK_PROVIDER ?? mode === "embedded" };
}

/** Names of every variable, for the README check. */
export const configVariables = Object.keys(schema.shape);
