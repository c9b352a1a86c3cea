import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Deps } from "./deps.ts";
import { registerAuditRoutes } from "./features/audit/routes.ts";
import { requirePermission } from "./features/auth/actor.ts";
import { registerAuthRoutes, SESSION_COOKIE } from "./features/auth/routes.ts";
import { actorFromRequest } from "./features/auth/service.ts";
import { registerEvaluationRoutes } from "./features/evaluations/routes.ts";
import { registerExecutionRoutes } from "./features/executions/routes.ts";
import { registerGatewayRoutes } from "./features/gateway/routes.ts";
import { registerHealthRoutes } from "./features/health/routes.ts";
import { registerJobRoutes } from "./features/jobs/routes.ts";
import { registerKeyRoutes } from "./features/keys/routes.ts";
import { registerMetricsRoutes } from "./features/metrics/routes.ts";
import { registerModelRoutes } from "./features/models/routes.ts";
import { registerOrgRoutes } from "./features/orgs/routes.ts";
import { registerPromptRoutes } from "./features/prompts/routes.ts";
import { registerProviderRoutes } from "./features/providers/routes.ts";
import { registerWebRoutes } from "./features/web/routes.ts";
import { registerWorkflowRoutes } from "./features/workflows/routes.ts";
import { AppError, type ErrorCode } from "./lib/errors.ts";
import { trackRoutes } from "./lib/http.ts";
import { newId } from "./lib/ids.ts";
import { currentTraceId } from "./lib/tracing.ts";

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

const statusToCode: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** Turn anything thrown into an AppError; unknown errors become a 500 that hides internals. */
function toAppError(err: FastifyError): AppError {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? "body";
    const details = err.validation.map((v) => ({
      path: [where, ...v.instancePath.split("/").filter(Boolean)].join("."),
      message: v.message ?? "invalid",
    }));
    const first = details[0];
    return new AppError(
      "validation_failed",
      first ? `Invalid request: ${first.path}: ${first.message}` : "Invalid request",
      details,
    );
  }
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new AppError("payload_too_large", "Request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new AppError("unsupported_media_type", "Unsupported Content-Type; send application/json");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new AppError("bad_request", "Request body is not valid JSON");
  }
  // PostgreSQL data exceptions (class 22: a NUL byte in text, a number out of range, …) are bad input.
  if (typeof err.code === "string" && /^22[0-9A-Z]{3}$/.test(err.code)) {
    return new AppError(
      "bad_request",
      "A value in the request cannot be stored (invalid characters or out of range)",
    );
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return new AppError("bad_request", "Request body is not valid JSON");
  }
  const status = err.statusCode ?? 500;
  const code = statusToCode[status];
  if (code && status < 500) return new AppError(code, err.message);
  return new AppError("internal", "Internal server error");
}

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Our own onResponse hook writes one line per request with the route template.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
    bodyLimit: deps.config.LECTERN_BODY_LIMIT_BYTES,
    trustProxy: deps.config.LECTERN_TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID_RE.test(incoming) ? incoming : newId("request");
    },
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest("actor", null);
  // JSON only: without this, Fastify parses text/plain and a JSON route would answer 400 instead of 415.
  app.removeContentTypeParser("text/plain");
  // The docs UI's own routes (registered by the plugin) are public, like the document they render.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/v1/docs")) route.config = { ...route.config, rules: { auth: "public" } };
  });
  trackRoutes(app);
  // First, so that the request span wraps every hook and handler.
  if (deps.tracing) await app.register(deps.tracing.fastifyPlugin);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Lectern API",
        version: deps.version,
        description:
          "Versioned prompts, executions with exact metering, and an OpenAI-compatible gateway. " +
          "Authenticate with `Authorization: Bearer lk_…` or the session cookie from /api/v1/auth/login.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "A Lectern API key (lk_…)" },
          session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/api/v1/docs" });
  app.get(
    "/api/v1/openapi.json",
    { config: { rules: { auth: "public" } }, schema: { hide: true } },
    async () => app.swagger(),
  );

  const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
  const methodLabel = (m: string) => (KNOWN_METHODS.has(m) ? m : "_OTHER");
  app.addHook("onRequest", async (req) => {
    deps.metrics.http.active.inc({ http_request_method: methodLabel(req.method) });
  });
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
    if (req.routeOptions.url === undefined) return; // unknown route: the 404 handler answers
    const rules = req.routeOptions.config.rules ?? {};
    const auth = rules.auth ?? "org";
    if (auth === "public") return;
    req.actor = await actorFromRequest(deps, req.headers, req.cookies[SESSION_COOKIE]);
    if (!req.actor)
      throw new AppError("unauthenticated", "Authentication required: send a valid API key or session");
    if (auth === "org") {
      if (!req.actor.orgId) throw new AppError("forbidden", "You are not a member of any organization");
      if (rules.permission) requirePermission(req.actor, rules.permission);
    }
  });

  app.addHook("onResponse", async (req, reply) => {
    deps.metrics.http.active.dec({ http_request_method: methodLabel(req.method) });
    const traceId = currentTraceId();
    deps.metrics.http.duration.observe({
      labels: {
        http_request_method: methodLabel(req.method),
        // The route template, never the raw URL: unmatched paths share one series.
        http_route: req.routeOptions.url ?? "unmatched",
        http_response_status_code: String(reply.statusCode),
      },
      value: reply.elapsedTime / 1000,
      ...(traceId ? { exemplarLabels: { trace_id: traceId } as never } : {}),
    });
    req.log.info(
      {
        request_id: req.id,
        method: req.method,
        route: req.routeOptions.url ?? "unknown",
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500 && appErr.code === "internal") {
      req.log.error({ err, request_id: req.id }, "unhandled error");
    }
    if (appErr.headers) reply.headers(appErr.headers);
    const body: Record<string, unknown> = {
      code: appErr.code,
      message: appErr.message,
      request_id: String(req.id),
    };
    if (appErr.details !== undefined) body.details = appErr.details;
    if (appErr.status >= 500) {
      const traceId = currentTraceId();
      if (traceId) body.trace_id = traceId;
    }
    // OpenAI clients read error.type on /v1; harmless elsewhere.
    if (req.url.startsWith("/v1/"))
      body.type = appErr.status >= 500 ? "server_error" : "invalid_request_error";
    return reply.status(appErr.status).send({ error: body });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({
      error: {
        code: "not_found",
        message: `No route for ${req.method} ${req.url.split("?")[0]}`,
        request_id: String(req.id),
      },
    });
  });

  registerHealthRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  registerAuthRoutes(app, deps);
  registerOrgRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerProviderRoutes(app, deps);
  registerModelRoutes(app, deps);
  registerPromptRoutes(app, deps);
  registerExecutionRoutes(app, deps);
  registerEvaluationRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerJobRoutes(app, deps);
  registerWorkflowRoutes(app, deps);
  registerGatewayRoutes(app, deps);
  // The web console: `/`, its assets, and index.html for a browser's request that no API route matched.
  registerWebRoutes(app, deps);
  return app;
}
