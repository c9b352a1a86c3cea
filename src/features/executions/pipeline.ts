import { performance } from "node:perf_hooks";
import type { Deps } from "../../deps.ts";
import { inTransaction } from "../../lib/db.ts";
import type { ExecutionRow, ExecutionSource } from "../../lib/db-types.ts";
import { AppError } from "../../lib/errors.ts";
import { newId } from "../../lib/ids.ts";
import { costPicoUsd, formatCost } from "../../lib/money.ts";
import {
  currentTraceId,
  endSpan,
  startChildSpan,
  withActiveSpan,
  withActiveSpanIterable,
} from "../../lib/tracing.ts";
import { type Ctx, requirePermission } from "../auth/actor.ts";
import { observeExecution, observeProviderCall } from "../metrics/service.ts";
import * as models from "../models/service.ts";
import { missingVariables, render, type Variables } from "../prompts/template.ts";
import * as providers from "../providers/service.ts";
import {
  type ChatMessage,
  type CompletionResult,
  type ModelParams,
  ProviderError,
  type Usage,
} from "../providers/types.ts";
import type { CallState } from "./hooks.ts";
import * as q from "./queries.ts";
import { type ExecutionView, executionSummary } from "./views.ts";

/**
 * The one model-call pipeline. Every path that calls a model (prompt execute, playground, the
 * OpenAI-compatible gateway, and later evaluations and workflows) goes through `runModelCall` or
 * `streamModelCall`, so no caller can skip authorization, limits, budgets, masking or metering:
 *
 *   authorize → rateLimit → budget → render → piiMask → cache → provider call → meter → respond
 *
 * The bracketed phase-4 stages live in deps.hooks (hooks.ts) and are empty until their features land.
 */
export interface ModelCallInput {
  source: ExecutionSource;
  /** catalog slug, e.g. "openai/gpt-4o-mini" */
  model: string;
  /** a template and its variables; `{{name}}` placeholders are rendered in the pipeline */
  messages: ChatMessage[];
  variables?: Variables;
  /** false for messages taken literally (the OpenAI-compatible gateway): no {{placeholder}} rendering */
  render?: boolean;
  params: ModelParams;
  promptId?: string | null;
  promptVersionId?: string | null;
  /** a retried caller (evaluation item, workflow step) passes the same key and gets the same execution back */
  idempotencyKey?: string;
  /** the evaluation or workflow run this call belongs to */
  runId?: string;
}

interface Prepared {
  ctx: Ctx;
  input: ModelCallInput;
  state: CallState;
  startedAt: Date;
  /** the provider call, or the cached answer */
  cached: CompletionResult | null;
}

const zeroUsage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };

/** Stages before the provider call. Throws an AppError to end the request. */
async function prepare(
  deps: Deps,
  ctx: Ctx,
  input: ModelCallInput,
  stream: boolean,
): Promise<Prepared | { replay: ExecutionRow }> {
  // authorize: the route checked its own permission; running a model always needs this one too.
  requirePermission(ctx.actor, "executions:run");
  if (input.idempotencyKey) {
    const prior = await q.findByIdempotencyKey(deps.db, ctx.actor.orgId, input.idempotencyKey);
    if (prior) return { replay: prior };
  }
  const model = await models.resolveModel(deps, ctx.actor.orgId, input.model);
  if (stream && !model.supports_streaming)
    throw new AppError("bad_request", `Model ${model.slug} does not support streaming`);
  const state: CallState = {
    executionId: newId("execution"),
    source: input.source,
    model,
    messages: input.messages,
    params: input.params,
    stream,
    promptId: input.promptId ?? null,
  };
  await deps.hooks.rateLimit?.(deps, ctx, state);
  await deps.hooks.budget?.(deps, ctx, state);

  // render
  if (input.render !== false) {
    const variables = input.variables ?? {};
    const missing = missingVariables(input.messages, variables);
    if (missing.length) {
      throw new AppError("missing_variables", `Missing variables: ${missing.join(", ")}`, { missing });
    }
    state.messages = render(input.messages, variables);
  }
  if (deps.hooks.piiMask) state.messages = await deps.hooks.piiMask(deps, ctx, state.messages);

  const cached = deps.hooks.cache ? await deps.hooks.cache.get(deps, ctx, state) : null;
  return { ctx, input, state, startedAt: deps.clock.now(), cached };
}

/** ProviderError → the caller-facing AppError. Upstream auth problems are the org's config, not the caller's 401. */
export function providerFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ProviderError) {
    const retry =
      err.retryAfterMs !== undefined
        ? { "retry-after": String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) }
        : undefined;
    const details = { provider: err.provider, kind: err.kind, upstream_status: err.status ?? null };
    switch (err.kind) {
      case "rate_limited":
        return new AppError(
          "rate_limited",
          `The provider (${err.provider}) is rate limiting: ${err.message}`,
          details,
          retry,
        );
      case "overloaded":
        return new AppError(
          "provider_unavailable",
          `The provider (${err.provider}) is overloaded: ${err.message}`,
          details,
          retry,
        );
      case "timeout":
        return new AppError(
          "provider_timeout",
          `The provider (${err.provider}) did not answer in time`,
          details,
        );
      case "invalid_request":
        return new AppError(
          "bad_request",
          `The provider (${err.provider}) rejected the request: ${err.message}`,
          details,
        );
      case "auth":
        return new AppError(
          "provider_error",
          `The provider (${err.provider}) rejected this organization's credential; check it under /api/v1/providers`,
          details,
        );
      default:
        return new AppError(
          "provider_error",
          `The provider (${err.provider}) failed: ${err.message}`,
          details,
        );
    }
  }
  return new AppError("provider_error", "The model call failed");
}

/** A GenAI CLIENT span (semconv: "chat {model}") around the provider call; null when not traced. */
function genAiSpan(p: Prepared) {
  const params = p.state.params;
  return startChildSpan(`chat ${p.state.model.upstream_model}`, {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": p.state.model.provider,
    "gen_ai.request.model": p.state.model.upstream_model,
    "gen_ai.request.stream": p.state.stream,
    ...(params.maxTokens !== undefined ? { "gen_ai.request.max_tokens": params.maxTokens } : {}),
    ...(params.temperature !== undefined ? { "gen_ai.request.temperature": params.temperature } : {}),
    ...(params.topP !== undefined ? { "gen_ai.request.top_p": params.topP } : {}),
  });
}

function finishGenAiSpan(
  span: ReturnType<typeof genAiSpan>,
  result: CompletionResult | null,
  failure: { type: string; err: unknown } | null,
) {
  if (!span) return;
  if (result) {
    span.setAttributes({
      "gen_ai.usage.input_tokens": result.usage.inputTokens,
      "gen_ai.usage.output_tokens": result.usage.outputTokens,
      "gen_ai.usage.cache_read.input_tokens": result.usage.cachedInputTokens,
      "gen_ai.usage.reasoning.output_tokens": result.usage.reasoningTokens,
      "gen_ai.response.finish_reasons": [result.finishReason],
    });
  }
  endSpan(
    span,
    failure ? { type: failure.type, message: (failure.err as Error)?.message ?? failure.type } : undefined,
  );
}

const providerErrorType = (err: unknown): string =>
  err instanceof ProviderError ? err.kind : "upstream_error";

/**
 * One provider call's telemetry, started when the call starts: its GenAI span, and at the end the
 * duration/TTFT metrics and provider health. Both paths (complete and stream) finish through it.
 */
function trackCall(deps: Deps, p: Prepared) {
  const start = performance.now();
  const span = genAiSpan(p);
  const traceId = currentTraceId();
  let firstChunkAt: number | null = null;
  return {
    span,
    firstChunk() {
      if (firstChunkAt === null) firstChunkAt = performance.now();
    },
    /** errorType overrides the type derived from err (a client that went away is "cancelled") */
    finish(result: CompletionResult | null, err: unknown, errorType?: string) {
      const type = err === null ? null : (errorType ?? providerErrorType(err));
      const ttftSeconds = firstChunkAt === null ? null : (firstChunkAt - start) / 1000;
      if (span && ttftSeconds !== null) span.setAttribute("gen_ai.response.time_to_first_chunk", ttftSeconds);
      finishGenAiSpan(span, result, type === null ? null : { type, err });
      observeProviderCall(deps, {
        model: p.state.model,
        seconds: (performance.now() - start) / 1000,
        ttftSeconds,
        errorType: type,
        traceId,
      });
    },
  };
}

async function callProvider(deps: Deps, p: Prepared, signal?: AbortSignal) {
  const credential = await providers.resolveCredential(deps, p.ctx.actor.orgId, p.state.model);
  const adapter = deps.providers.adapterFor(p.state.model, credential);
  return {
    adapter,
    req: {
      model: p.state.model.upstream_model,
      messages: p.state.messages,
      params: p.state.params,
      ...(signal ? { signal } : {}),
    },
  };
}

interface Outcome {
  result: CompletionResult | null;
  output: string;
  usage: Usage;
  error: AppError | null;
  ttftMs: number | null;
}

/** The execution row and its usage record, in one transaction. */
function insertRecord(
  deps: Deps,
  p: Prepared,
  o: Outcome,
  m: { cost: string; priceId: string | null; completedAt: Date },
): Promise<ExecutionRow> {
  const { ctx, state, input } = p;
  const { cost, completedAt } = m;
  return inTransaction(deps.db, async (tx) => {
    const exec = await q.insertExecution(tx, {
      id: state.executionId,
      organization_id: ctx.actor.orgId,
      user_id: ctx.actor.userId,
      api_key_id: ctx.actor.apiKeyId,
      source: input.source,
      prompt_id: input.promptId ?? null,
      prompt_version_id: input.promptVersionId ?? null,
      model_id: state.model.id,
      model: state.model.slug,
      inputs: JSON.stringify(input.variables ?? {}),
      messages: JSON.stringify(state.messages),
      params: JSON.stringify(input.params),
      output: o.output,
      finish_reason: o.result?.finishReason ?? null,
      status: o.error ? "failed" : "succeeded",
      error: o.error ? JSON.stringify({ code: o.error.code, message: o.error.message }) : null,
      stream: state.stream,
      latency_ms: Math.max(0, completedAt.getTime() - p.startedAt.getTime()),
      ttft_ms: o.ttftMs,
      tokens_input: o.usage.inputTokens,
      tokens_output: o.usage.outputTokens,
      tokens_cached_input: o.usage.cachedInputTokens,
      tokens_reasoning: o.usage.reasoningTokens,
      cost_usd: cost,
      request_id: ctx.meta.requestId,
      idempotency_key: input.idempotencyKey ?? null,
      run_id: input.runId ?? null,
      created_at: p.startedAt,
      completed_at: completedAt,
    });
    if (o.usage.inputTokens > 0 || o.usage.outputTokens > 0) {
      await q.insertUsage(tx, {
        id: newId("usage"),
        organization_id: ctx.actor.orgId,
        user_id: ctx.actor.userId,
        api_key_id: ctx.actor.apiKeyId,
        execution_id: exec.id,
        model_id: state.model.id,
        prompt_id: input.promptId ?? null,
        tokens_input: o.usage.inputTokens,
        tokens_output: o.usage.outputTokens,
        tokens_cached_input: o.usage.cachedInputTokens,
        tokens_reasoning: o.usage.reasoningTokens,
        cost_usd: cost,
        price_id: m.priceId,
        recorded_at: completedAt,
      });
    }
    return exec;
  });
}

/** meter: the execution row and its usage record, in one transaction, with an exact cost. */
async function record(deps: Deps, p: Prepared, o: Outcome): Promise<ExecutionView> {
  const { ctx, state, input } = p;
  const completedAt = deps.clock.now();
  const price = await models.priceFor(deps, ctx.actor.orgId, state.model.id, p.startedAt);
  const pico = price && !p.cached ? costPicoUsd(o.usage, price.prices) : 0n;
  const cost = formatCost(pico);
  let row: ExecutionRow;
  try {
    row = await insertRecord(deps, p, o, { cost, priceId: price?.id ?? null, completedAt });
  } catch (err) {
    // Two retries of one item raced: the first one's execution stands, and nothing is billed twice.
    if ((err as { code?: string }).code === "23505" && input.idempotencyKey) {
      const existing = await q.findByIdempotencyKey(deps.db, ctx.actor.orgId, input.idempotencyKey);
      if (existing) return executionSummary(existing);
    }
    throw err;
  }
  const view = executionSummary(row);
  observeExecution(deps, state.model, ctx.actor.orgTier, view);
  for (const hook of deps.hooks.afterCommit ?? []) {
    hook(deps, ctx, view).catch((err) =>
      deps.log.warn({ err, execution_id: view.id }, "after-commit hook failed"),
    );
  }
  if (!o.error && o.result && !p.cached && deps.hooks.cache) {
    deps.hooks.cache
      .set(deps, ctx, state, o.result)
      .catch((err) => deps.log.warn({ err }, "cache write failed"));
  }
  return view;
}

/** Run a model call to completion. Failed provider calls are recorded, then thrown as AppErrors. */
export async function runModelCall(deps: Deps, ctx: Ctx, input: ModelCallInput): Promise<ExecutionView> {
  const prepared = await prepare(deps, ctx, input, false);
  if ("replay" in prepared) return executionSummary(prepared.replay);
  let result: CompletionResult;
  try {
    if (prepared.cached) {
      result = prepared.cached;
    } else {
      const { adapter, req } = await callProvider(deps, prepared);
      const tracked = trackCall(deps, prepared);
      try {
        result = await withActiveSpan(tracked.span, () => adapter.complete(req));
      } catch (err) {
        tracked.finish(null, err);
        throw err;
      }
      tracked.finish(result, null);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const failure = providerFailure(err);
    const view = await record(deps, prepared, {
      result: null,
      output: "",
      usage: zeroUsage,
      error: failure,
      ttftMs: null,
    });
    throw new AppError(
      failure.code,
      failure.message,
      { ...(failure.details as object), execution_id: view.id },
      failure.headers,
    );
  }
  return record(deps, prepared, {
    result,
    output: result.text,
    usage: result.usage,
    error: null,
    ttftMs: null,
  });
}

export type PipelineEvent =
  | { type: "start"; executionId: string; model: string }
  | { type: "delta"; text: string }
  | { type: "done"; execution: ExecutionView }
  | { type: "error"; error: AppError; execution: ExecutionView };

/**
 * Streaming variant. Everything that can fail before the first byte (auth, limits, unknown model, missing
 * variables, missing credential) throws before the generator is returned, so the route can still answer
 * with a plain JSON error and status. After that, failures arrive as an `error` event; the execution is
 * recorded either way, with whatever usage the provider reported.
 */
export async function streamModelCall(
  deps: Deps,
  ctx: Ctx,
  input: ModelCallInput,
  signal: AbortSignal,
): Promise<AsyncGenerator<PipelineEvent>> {
  const prepared = await prepare(deps, ctx, input, true);
  if ("replay" in prepared) {
    const replay = prepared.replay;
    return (async function* () {
      yield { type: "start", executionId: replay.id, model: replay.model } as const;
      if (replay.output) yield { type: "delta", text: replay.output } as const;
      yield { type: "done", execution: executionSummary(replay) } as const;
    })();
  }
  const call = prepared.cached ? null : await callProvider(deps, prepared, signal);
  const startedMs = prepared.startedAt.getTime();
  return (async function* () {
    yield {
      type: "start",
      executionId: prepared.state.executionId,
      model: prepared.state.model.slug,
    } as const;
    let output = "";
    let ttftMs: number | null = null;
    let result: CompletionResult | null = null;
    const tracked = prepared.cached ? null : trackCall(deps, prepared);
    try {
      if (prepared.cached) {
        result = prepared.cached;
        output = result.text;
        yield { type: "delta", text: result.text } as const;
      } else if (call) {
        for await (const ev of withActiveSpanIterable(tracked?.span ?? null, call.adapter.stream(call.req))) {
          if (ev.type === "delta") {
            if (ttftMs === null) {
              ttftMs = deps.clock.now().getTime() - startedMs;
              tracked?.firstChunk();
            }
            output += ev.text;
            yield { type: "delta", text: ev.text } as const;
          } else {
            result = ev.result;
          }
        }
      }
      if (!result)
        throw new ProviderError(
          "upstream_error",
          prepared.state.model.provider,
          "stream ended without a final message",
        );
    } catch (err) {
      const failure = signal.aborted
        ? new AppError("bad_request", "The client closed the connection")
        : providerFailure(err);
      tracked?.finish(null, err, signal.aborted ? "cancelled" : undefined);
      const usage = result?.usage ?? zeroUsage;
      const view = await record(deps, prepared, { result, output, usage, error: failure, ttftMs });
      yield { type: "error", error: failure, execution: view } as const;
      return;
    }
    tracked?.finish(result, null);
    const view = await record(deps, prepared, { result, output, usage: result.usage, error: null, ttftMs });
    yield { type: "done", execution: view } as const;
  })();
}
