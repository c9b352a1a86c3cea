import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.ts";
import { buildDeps, createLogger, firstRunSetup } from "./bootstrap.ts";
import type { Config } from "./config.ts";
import { jobHandlers } from "./features/jobs/handlers.ts";
import { JobRunner } from "./features/jobs/runner.ts";
import { startMetricsServer } from "./features/metrics/routes.ts";
import { ensureWebBuilt } from "./features/web/build.ts";

/** Boot: build deps, migrate, first-run setup, listen; on SIGTERM/SIGINT stop accepting, drain, close pools. */
export async function serve(config: Config): Promise<FastifyInstance> {
  const log = createLogger(config);
  const deps = await buildDeps(config, log);
  const first = await firstRunSetup(deps);
  // Builds the web console when web/dist is missing or stale (needs Vite); never stops the server starting.
  await ensureWebBuilt(log);
  const app = await buildApp(deps);
  if (config.LECTERN_WORKER) {
    deps.jobRunner = new JobRunner(deps, jobHandlers, {
      concurrency: config.LECTERN_JOB_CONCURRENCY,
      leaseMs: config.LECTERN_JOB_LEASE_MS,
      pollMs: config.LECTERN_JOB_POLL_MS,
      backoffBaseMs: 2000,
      backoffMaxMs: 300_000,
    });
    deps.jobRunner.start();
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  const metricsServer = await startMetricsServer(deps);
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
  if (first) {
    // Printed once, on stdout, each on its own line, so a script (or a person) can pick them out.
    process.stdout.write(
      [
        "",
        "Lectern is set up. Sign in at the URL below with these credentials (shown only now):",
        `  admin email:    ${first.email}`,
        `  admin password: ${first.password}`,
        `LECTERN_API_KEY=${first.apiKey}`,
        "",
      ].join("\n"),
    );
  }
  process.stdout.write(
    `Lectern ${deps.version} listening on ${url} (${config.mode} mode, ${deps.dbHandle.driver})\n`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down: draining in-flight requests");
    const force = setTimeout(() => {
      log.error("shutdown took longer than 25s; exiting");
      process.exit(1);
    }, 25_000);
    force.unref();
    // Keep-alive clients (fetch, SDKs, load balancers) would hold idle sockets open and stall close();
    // idle ones are closed as soon as they go idle, in-flight requests still finish.
    const idle = setInterval(() => app.server.closeIdleConnections(), 50);
    idle.unref();
    try {
      // Stop claiming jobs; in-flight ones get 10 s, then are released for another replica.
      await deps.jobRunner?.stop(10_000);
      await app.close();
      await metricsServer?.close();
      await deps.dbHandle.close();
      await deps.tracing?.shutdown();
      log.info("shutdown complete");
      process.exit(0);
    } catch (err) {
      log.error({ err }, "error during shutdown");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  return app;
}
