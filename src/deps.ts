import type { Logger } from "pino";
import type { Config } from "./config.ts";
import type { PipelineHooks } from "./features/executions/hooks.ts";
import type { JobRunner } from "./features/jobs/runner.ts";
import type { KeyCache } from "./features/keys/cache.ts";
import type { Metrics } from "./features/metrics/metrics.ts";
import type { ProviderFactory } from "./features/providers/registry.ts";
import type { Clock } from "./lib/clock.ts";
import type { SecretBox } from "./lib/crypto.ts";
import type { Db, DbHandle } from "./lib/db.ts";
import type { Tracing } from "./lib/tracing.ts";

/**
 * Everything with a lifetime longer than a request, built once in main.ts (or by a test) and passed down.
 * No module-level clients or singletons anywhere else.
 */
export interface Deps {
  config: Config;
  db: Db;
  dbHandle: DbHandle;
  clock: Clock;
  log: Logger;
  secrets: SecretBox;
  keyCache: KeyCache;
  providers: ProviderFactory;
  metrics: Metrics;
  /** null when OTEL_EXPORTER_OTLP_ENDPOINT is unset */
  tracing: Tracing | null;
  /** the phase-4 stages of the model-call pipeline; empty until those features fill them */
  hooks: PipelineHooks;
  /** the in-process job runner, once started (main.ts, or a test); enqueuers wake it */
  jobRunner?: JobRunner;
  version: string;
  startedAt: Date;
}
