/**
 * Turns whatever an SDK throws into the closed `ProviderError` set, and owns the per-call
 * cancellation and timeout plumbing that all three SDK adapters share.
 */
import {
  APIError as AnthropicAPIError,
  APIConnectionTimeoutError as AnthropicTimeout,
} from "@anthropic-ai/sdk";
import { ApiError as GeminiApiError } from "@google/genai";
import { APIError as OpenAIAPIError, APIConnectionTimeoutError as OpenAITimeout } from "openai";
import { ProviderError, type ProviderErrorKind } from "../types.ts";

const INVALID_REQUEST_STATUSES = new Set([400, 404, 409, 413, 422]);
const UNDICI_TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** What we could read off an SDK error, whichever SDK threw it. */
interface Upstream {
  status: number | undefined;
  headers: Headers | undefined;
  /** the parsed error body, when the SDK kept one */
  body: unknown;
  /** the provider's own error type, e.g. Anthropic's `overloaded_error` or Gemini's `RESOURCE_EXHAUSTED` */
  type: string | undefined;
  message: string;
}

/**
 * Maps an SDK error to a `ProviderError`. `apiKey` is scrubbed from the message, because some
 * OpenAI-compatible servers echo the key they rejected.
 */
export function toProviderError(err: unknown, provider: string, apiKey: string): ProviderError {
  if (err instanceof ProviderError) return err;

  const up = readUpstream(err);
  const kind = isTimeout(err) ? "timeout" : classify(up);
  const retryAfterMs = parseRetryAfter(up.headers, up.body);
  const status = up.status !== undefined ? ` ${up.status}` : "";
  const message = redact(`${provider}${status}: ${up.message}`, apiKey);
  const cause = err instanceof Error && !containsKey(err.message, apiKey) ? err : undefined;
  return new ProviderError(kind, provider, message, {
    ...(up.status !== undefined && { status: up.status }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(cause !== undefined && { cause }),
  });
}

function classify(up: Upstream): ProviderErrorKind {
  const { status, type } = up;
  if (status === 429) return "rate_limited";
  if (status === 503 || status === 529 || type === "overloaded_error") return "overloaded";
  // Gemini answers a bad key with 400 INVALID_ARGUMENT; only the ErrorInfo reason tells it apart.
  if (status === 400 && geminiReason(up.body) === "API_KEY_INVALID") return "auth";
  if (status !== undefined && INVALID_REQUEST_STATUSES.has(status)) return "invalid_request";
  if (status === 401 || status === 403) return "auth";
  return "upstream_error";
}

function isTimeout(err: unknown): boolean {
  if (err instanceof OpenAITimeout || err instanceof AnthropicTimeout) return true;
  if (!(err instanceof Error)) return false;
  if (err.name === "TimeoutError") return true;
  // Node's fetch has its own header/body timers (300 s by default) and reports them as `fetch failed`.
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && UNDICI_TIMEOUT_CODES.has(code);
}

function readUpstream(err: unknown): Upstream {
  if (err instanceof OpenAIAPIError) {
    // openai keeps `body.error` here, not the whole body
    const inner = err.error as { message?: unknown } | undefined;
    return {
      status: err.status,
      headers: err.headers,
      body: err.error,
      type: err.type,
      message: typeof inner?.message === "string" ? inner.message : err.message,
    };
  }
  if (err instanceof AnthropicAPIError) {
    return {
      status: err.status,
      headers: err.headers,
      body: err.error,
      type: err.type ?? undefined,
      message: err.apiMessage ?? err.message,
    };
  }
  if (err instanceof GeminiApiError) {
    // the SDK stringifies the google.rpc.Status body into the message, sometimes behind a prefix
    const body = parseEmbeddedJson(err.message);
    const inner = (body as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
    return {
      status: err.status,
      headers: undefined,
      body,
      type: typeof inner?.status === "string" ? inner.status : undefined,
      message: typeof inner?.message === "string" ? inner.message : err.message,
    };
  }
  const message = err instanceof Error ? describe(err) : String(err);
  return { status: undefined, headers: undefined, body: undefined, type: undefined, message };
}

/** `fetch failed` alone says nothing; the cause names the socket error. */
function describe(err: Error): string {
  const cause = err.cause;
  if (cause instanceof Error && cause.message && cause.message !== err.message) {
    return `${err.message} (${cause.message})`;
  }
  return err.message;
}

function parseEmbeddedJson(text: string): unknown {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

type GoogleDetail = { "@type"?: unknown; reason?: unknown; retryDelay?: unknown };

function geminiDetails(body: unknown): GoogleDetail[] {
  const details = (body as { error?: { details?: unknown } } | undefined)?.error?.details;
  return Array.isArray(details) ? (details as GoogleDetail[]) : [];
}

function geminiReason(body: unknown): string | undefined {
  for (const d of geminiDetails(body)) {
    if (typeof d.reason === "string") return d.reason;
  }
  return undefined;
}

/**
 * Milliseconds the provider asked us to wait: `retry-after-ms`, then `retry-after` (seconds or an
 * HTTP-date), then Gemini's `google.rpc.RetryInfo.retryDelay` ("37s", a protobuf Duration).
 */
export function parseRetryAfter(
  headers: Headers | undefined,
  body: unknown,
  now: number = Date.now(),
): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);

  const raw = headers?.get("retry-after")?.trim();
  if (raw) {
    if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
    const at = Date.parse(raw);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }

  for (const d of geminiDetails(body)) {
    if (typeof d["@type"] === "string" && d["@type"].endsWith("google.rpc.RetryInfo")) {
      const match = typeof d.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
      if (match?.[1]) return Math.ceil(Number(match[1]) * 1000);
    }
  }
  return undefined;
}

function containsKey(text: string, apiKey: string): boolean {
  // a very short key would redact ordinary words; real keys are long
  return apiKey.length >= 8 && text.includes(apiKey);
}

function redact(text: string, apiKey: string): string {
  return containsKey(text, apiKey) ? text.replaceAll(apiKey, "[redacted]") : text;
}

/** The error a cancelled call rejects with: the caller's own abort reason, as `fetch` does. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException("The operation was aborted.", "AbortError");
}

/**
 * One provider call's cancellation and timeout. The SDK gets `signal`, which aborts when the
 * caller's signal does or when `timeoutMs` pass while we wait on the provider: for the response,
 * then for each stream event. A slow but live stream is never cut off, a stalled one is, and time
 * the consumer spends between pulls does not count. The SDKs' own timers do not cover a stream's
 * body, hence this.
 */
export interface CallControl {
  readonly signal: AbortSignal;
  /** the SDK's stream, with the idle timer armed only while waiting on the provider */
  watch<T>(source: AsyncIterable<T>): AsyncIterable<T>;
  /** the SDKs end a stream quietly when its signal aborts: call after the loop to surface why */
  throwIfAborted(): void;
  /** what to throw for an error caught during this call */
  toError(err: unknown): Error;
  /** releases the timer and the listener on the caller's signal */
  done(): void;
}

export function startCall(
  provider: string,
  cfg: { apiKey: string; timeoutMs: number },
  callerSignal: AbortSignal | undefined,
): CallControl {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;

  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(
        new DOMException(`${provider}: no response within ${cfg.timeoutMs} ms`, "TimeoutError"),
      );
    }, cfg.timeoutMs);
  };
  const onCallerAbort = () => controller.abort(callerSignal?.reason);

  if (callerSignal?.aborted) controller.abort(callerSignal.reason);
  else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
  arm();

  const toError = (err: unknown): Error => {
    if (timedOut) {
      return new ProviderError("timeout", provider, `${provider}: no response within ${cfg.timeoutMs} ms`, {
        cause: err,
      });
    }
    if (callerSignal?.aborted) return abortError(callerSignal);
    return toProviderError(err, provider, cfg.apiKey);
  };

  return {
    signal: controller.signal,
    async *watch(source) {
      for await (const item of source) {
        clearTimeout(timer);
        yield item;
        if (!controller.signal.aborted) arm();
      }
    },
    throwIfAborted: () => {
      if (controller.signal.aborted) throw toError(controller.signal.reason);
    },
    toError,
    done: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    },
  };
}
