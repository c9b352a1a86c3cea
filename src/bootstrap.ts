import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { KeyCache } from "./features/keys/cache.ts";
import { createKeyForBootstrap } from "./features/keys/service.ts";
import { createMetrics } from "./features/metrics/metrics.ts";
import { activityCounts } from "./features/metrics/service.ts";
import { createOrgWithOwner } from "./features/orgs/service.ts";
import { createProviderFactory } from "./features/providers/registry.ts";
import { countActiveRuns } from "./features/workflows/service.ts";
import { systemClock } from "./lib/clock.ts";
import { createSecretBox, parseMasterKey, randomToken } from "./lib/crypto.ts";
import { createPgliteDb, createPostgresDb, type DbHandle } from "./lib/db.ts";
import { AppError } from "./lib/errors.ts";
import { migrate } from "./lib/migrate.ts";
import { startTracing, traceFields } from "./lib/tracing.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const version: string = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }
).version;

export function createLogger(config: Config): Logger {
  return pino({
    level: config.LOG_LEVEL,
    // trace_id/span_id on every line written inside a traced request (nothing when tracing is off)
    mixin: traceFields,
    base: { service: "lectern" },
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "*.api_key", "*.password"],
      censor: "[redacted]",
    },
  });
}

export async function openDatabase(config: Config): Promise<DbHandle> {
  if (config.DATABASE_URL) return createPostgresDb(config.DATABASE_URL, config.LECTERN_DB_POOL_MAX);
  return createPgliteDb(join(resolve(config.LECTERN_DATA_DIR), "pgdata"));
}

/**
 * The master key: LECTERN_MASTER_KEY when set; in embedded mode otherwise generated once into the data
 * directory with mode 0600 (config.ts refuses distributed mode without the variable).
 */
export function loadMasterKey(config: Config): Buffer {
  if (config.LECTERN_MASTER_KEY) return parseMasterKey(config.LECTERN_MASTER_KEY);
  const dir = resolve(config.LECTERN_DATA_DIR);
  const file = join(dir, "master.key");
  if (existsSync(file)) return parseMasterKey(readFileSync(file, "utf8"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return parseMasterKey(readFileSync(file, "utf8"));
}

export async function buildDeps(
  config: Config,
  log: Logger = createLogger(config),
  overrides: Partial<Deps> = {},
): Promise<Deps> {
  const dbHandle = overrides.dbHandle ?? (await openDatabase(config));
  const metrics =
    overrides.metrics ??
    createMetrics({
      poolStats: () => dbHandle.poolStats(),
      activity: () => activityCounts(dbHandle.db),
      activeWorkflowRuns: () => countActiveRuns(dbHandle.db),
      build: { version, mode: config.mode, driver: dbHandle.driver },
    });
  dbHandle.setObserver({ onWait: (s) => metrics.db.observeWait(s), onTimeout: () => metrics.db.timeout() });
  return {
    config,
    db: dbHandle.db,
    dbHandle,
    clock: systemClock,
    log,
    secrets: createSecretBox(loadMasterKey(config)),
    keyCache: new KeyCache(config.LECTERN_KEY_CACHE_TTL_MS),
    providers: createProviderFactory(config),
    metrics,
    tracing:
      overrides.tracing !== undefined
        ? overrides.tracing
        : startTracing({
            endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
            serviceName: config.OTEL_SERVICE_NAME,
            version,
          }),
    hooks: {},
    version,
    startedAt: new Date(),
    ...overrides,
  };
}

/**
 * First start on an empty database: an org, its owner with a generated password, and one API key,
 * printed once. Returns null when the database already has users.
 */
export async function firstRunSetup(
  deps: Deps,
): Promise<{ email: string; password: string; apiKey: string } | null> {
  await migrate(deps.db);
  const anyUser = await deps.db.selectFrom("users").select("id").limit(1).executeTakeFirst();
  if (anyUser) return null;
  const email = deps.config.LECTERN_ADMIN_EMAIL;
  const password = randomToken(15);
  let org: Awaited<ReturnType<typeof createOrgWithOwner>>;
  try {
    org = await createOrgWithOwner(deps.db, {
      name: "Default organization",
      slug: "default",
      tier: "enterprise",
      owner: { email, name: "Admin", password },
    });
  } catch (err) {
    // Another replica starting at the same moment won the race and printed the credentials.
    if (err instanceof AppError && err.code === "conflict") return null;
    throw err;
  }
  const { key } = await createKeyForBootstrap(deps.db, org.id, org.userId, "bootstrap key");
  return { email, password, apiKey: key };
}
