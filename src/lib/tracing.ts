import fastifyOtel from "@fastify/otel";
import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { FastifyPluginCallback } from "fastify";

/**
 * Tracing is on only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, the OpenTelemetry API's no-op tracer is
 * used and every helper here returns at once, so the cost is a function call.
 *
 * On: a NodeTracerProvider exports OTLP/HTTP (JSON) to `${endpoint}/v1/traces`; @fastify/otel makes the
 * SERVER span per request (extracting W3C traceparent); undici instrumentation makes CLIENT spans for
 * provider calls (the SDKs use fetch) and injects traceparent; db.ts and the pipeline add SQL and GenAI spans.
 */
export interface Tracing {
  fastifyPlugin: FastifyPluginCallback;
  shutdown(): Promise<void>;
}

export function startTracing(opts: {
  endpoint: string | undefined;
  serviceName: string;
  version: string;
}): Tracing | null {
  if (!opts.endpoint) return null;
  const exporter = new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/+$/, "")}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      [ATTR_SERVICE_VERSION]: opts.version,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  // Installs the AsyncLocalStorage context manager and the W3C trace-context propagator globally.
  provider.register();
  const fastify = new fastifyOtel.FastifyOtelInstrumentation({
    instrumentHooks: false,
    instrumentHandler: true,
    // semconv span name "{method} {route}" instead of the plugin's generic "request"
    requestHook: (span, req) => span.updateName(`${req.method} ${req.routeOptions.url ?? "unmatched"}`),
  });
  fastify.setTracerProvider(provider);
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation()] });
  return {
    fastifyPlugin: fastify.plugin(),
    shutdown: () => provider.shutdown(),
  };
}

export const tracer = () => trace.getTracer("lectern");

/** The active span's trace id, or undefined when tracing is off or there is no span. */
export function currentTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const ctx = span.spanContext();
  return trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}

/** Ids for log lines (pino mixin): empty when there is no recording span. */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const ctx = span.spanContext();
  return trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

/**
 * A child span around `fn`, only when there is a parent (a request being traced): background work does
 * not create orphan root spans, and with tracing off this is one lookup.
 */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span | null) => Promise<T>,
): Promise<T> {
  const parent = trace.getSpan(context.active());
  if (!parent?.isRecording()) return fn(null);
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Like inSpan, for work that outlives one call (a stream): the caller ends the span. Null when not traced. */
export function startChildSpan(
  name: string,
  attributes: Record<string, string | number | boolean>,
): Span | null {
  const parent = trace.getSpan(context.active());
  if (!parent?.isRecording()) return null;
  return tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes });
}

export function endSpan(span: Span | null, error?: { type: string; message: string }): void {
  if (!span) return;
  if (error) {
    span.setAttribute("error.type", error.type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

/** Run fn with span as the active span, so work inside (the SDK's fetch) becomes its child. */
export function withActiveSpan<T>(span: Span | null, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** An async iterable whose every step runs with span active (a stream's fetch starts on the first step). */
export function withActiveSpanIterable<T>(span: Span | null, iterable: AsyncIterable<T>): AsyncIterable<T> {
  if (!span) return iterable;
  const ctx = trace.setSpan(context.active(), span);
  return {
    [Symbol.asyncIterator]() {
      const it = context.with(ctx, () => iterable[Symbol.asyncIterator]());
      return {
        next: () => context.with(ctx, () => it.next()),
        return: (value?: unknown) =>
          context.with(
            ctx,
            () => it.return?.(value as T) ?? Promise.resolve({ done: true as const, value: value as T }),
          ),
      };
    },
  };
}
