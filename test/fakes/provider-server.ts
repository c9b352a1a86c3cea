/**
 * The suite's only fake: one real HTTP server that speaks the OpenAI Chat Completions, Anthropic
 * Messages and Gemini generateContent wire formats, streaming included, closely enough that the
 * official SDKs parse its answers. See test/fakes/README.md for usage.
 *
 * Point the SDKs (or adapters) at it with:
 *   OpenAI / openai-compatible  baseUrl: `${url}/v1`
 *   Anthropic                   baseUrl: url
 *   Gemini                      baseUrl: url   (the SDK appends /v1beta)
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeProvider = "openai" | "anthropic" | "gemini";

/** Parsed request JSON: tests and this fake read into it freely, so it is deliberately untyped. */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON from the SDKs under test
export type Json = any;

/**
 * Token counts exactly as the provider puts them on the wire; each adapter does its own
 * normalization, so tests compute the expected normalized numbers themselves.
 *
 * | field      | OpenAI                                      | Anthropic                                    | Gemini                  |
 * |------------|---------------------------------------------|----------------------------------------------|-------------------------|
 * | input      | prompt_tokens (cached included)             | input_tokens (cache reads/writes excluded)   | promptTokenCount        |
 * | output     | completion_tokens (reasoning included)      | output_tokens (thinking included)            | candidatesTokenCount (thoughts excluded) |
 * | cacheRead  | prompt_tokens_details.cached_tokens         | cache_read_input_tokens                      | cachedContentTokenCount |
 * | cacheWrite | (not reported)                              | cache_creation_input_tokens                  | (not reported)          |
 * | reasoning  | completion_tokens_details.reasoning_tokens  | output_tokens_details.thinking_tokens        | thoughtsTokenCount      |
 *
 * Defaults: input = ceil(JSON length of the request's messages / 4), output = ceil(reply length / 4),
 * the rest 0.
 */
export interface FakeUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

/** How the fake answers. Unless a field says otherwise, each applies to all three providers. */
export type Scenario =
  | {
      kind: "text";
      /** default "Hello from the fake provider." */
      text?: string;
      usage?: FakeUsage;
      /** mapped to each provider's own value (Anthropic end_turn/max_tokens/refusal, Gemini STOP/MAX_TOKENS/SAFETY) */
      finishReason?: "stop" | "length" | "content_filter";
      /** sent verbatim instead of the mapped finishReason, e.g. "stop_sequence" or "RECITATION" */
      rawFinishReason?: string;
      /** OpenAI only: leave out the usage (as some compatible servers do, even when asked) */
      omitUsage?: boolean;
      /** pause before each streamed chunk, to test slow streams and cancellation */
      chunkDelayMs?: number;
    }
  /** 429 with `retry-after` (seconds); Gemini's RESOURCE_EXHAUSTED body carries RetryInfo instead */
  | { kind: "rate_limited"; retryAfterSeconds?: number; headers?: Record<string, string> }
  /** Anthropic 529 overloaded_error, OpenAI 503, Gemini 503 UNAVAILABLE */
  | { kind: "overloaded"; headers?: Record<string, string> }
  /** 500 with the provider's internal-error body */
  | { kind: "server_error"; headers?: Record<string, string> }
  /**
   * OpenAI and Anthropic 401; Gemini answers a bad key with 400 INVALID_ARGUMENT + API_KEY_INVALID,
   * as the real one does. The OpenAI message echoes the whole key it got (the real API masks it),
   * so tests can check that adapters scrub it.
   */
  | { kind: "unauthorized" }
  /** 400 with the provider's invalid-request body */
  | { kind: "bad_request"; message?: string }
  /** reads the request and never answers; close() frees the socket */
  | { kind: "hang" }
  /** streams `afterChunks` text deltas, then an error event in the provider's format. Non-streaming: 500. */
  | { kind: "stream_error"; afterChunks?: number; text?: string }
  /** streams `afterChunks` text deltas, then goes silent with the connection open. Non-streaming: hang. */
  | { kind: "stall"; afterChunks?: number; text?: string }
  /** streams `afterChunks` text deltas, then drops the TCP connection. Non-streaming: drops at once. */
  | { kind: "disconnect"; afterChunks?: number; text?: string };

export interface RecordedRequest {
  provider: FakeProvider | "unknown";
  method: string;
  /** path and query, e.g. "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" */
  path: string;
  /** lower-cased, as node:http gives them */
  headers: IncomingHttpHeaders;
  /** the parsed JSON body (undefined if it was not JSON) */
  body: Json;
}

export interface FakeProviderServer {
  /** e.g. "http://127.0.0.1:41234", no trailing slash */
  url: string;
  /** every request received, oldest first; `requests.length = 0` clears it */
  requests: RecordedRequest[];
  /** how every later request is answered, until changed; the default is `{ kind: "text" }` */
  setScenario(s: Scenario): void;
  /** one-shot answers, used in order before the standing scenario, e.g. a 429 then a success */
  enqueue(...s: Scenario[]): void;
  /** drops queued answers and restores `{ kind: "text" }` */
  reset(): void;
  /** closes the server and destroys open sockets, hung ones included */
  close(): Promise<void>;
}

export const DEFAULT_REPLY = "Hello from the fake provider.";

export async function startFakeProviderServer(): Promise<FakeProviderServer> {
  const requests: RecordedRequest[] = [];
  let standing: Scenario = { kind: "text" };
  let queue: Scenario[] = [];
  let seq = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`fake provider server crashed: ${String(err)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // a client that hangs up mid-stream must not crash the test process
    res.on("error", () => {});
    const raw = await readBody(req);
    let body: Json;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const path = req.url ?? "/";
    const route = routeOf(req.method ?? "GET", path);
    requests.push({
      provider: route?.provider ?? "unknown",
      method: req.method ?? "GET",
      path,
      headers: req.headers,
      body,
    });
    if (!route) {
      sendJson(res, 404, { error: { message: `fake provider server: no route for ${req.method} ${path}` } });
      return;
    }
    const scenario = queue.shift() ?? standing;
    seq += 1;
    const ctx: Ctx = {
      res,
      body,
      headers: req.headers,
      stream: route.stream,
      model: route.model ?? (typeof body?.model === "string" ? body.model : "fake-model"),
      seq,
    };
    await respond(route.provider, scenario, ctx);
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScenario(s) {
      standing = s;
    },
    enqueue(...s) {
      queue.push(...s);
    },
    reset() {
      standing = { kind: "text" };
      queue = [];
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// routing and plumbing

interface Route {
  provider: FakeProvider;
  stream: boolean | undefined;
  model: string | undefined;
}

interface Ctx {
  res: ServerResponse;
  body: Json;
  headers: IncomingHttpHeaders;
  /** Gemini says it in the path; OpenAI and Anthropic in the body (undefined: read body.stream) */
  stream: boolean | undefined;
  model: string;
  seq: number;
}

function routeOf(method: string, path: string): Route | undefined {
  if (method !== "POST") return undefined;
  const pathname = path.split("?")[0] ?? "";
  if (pathname === "/v1/chat/completions") return { provider: "openai", stream: undefined, model: undefined };
  if (pathname === "/v1/messages") return { provider: "anthropic", stream: undefined, model: undefined };
  const gemini = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(pathname);
  if (gemini) {
    return { provider: "gemini", stream: gemini[2] === "streamGenerateContent", model: gemini[1] };
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** False once the client has gone, so a slow stream stops writing into a closed socket. */
const open = (res: ServerResponse) => !res.destroyed && !res.writableEnded;

/** Word-sized pieces that concatenate back to the text. */
function splitChunks(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function requestMessages(provider: FakeProvider, body: Json): unknown {
  if (provider === "gemini") return [body?.systemInstruction, body?.contents];
  if (provider === "anthropic") return [body?.system, body?.messages];
  return body?.messages;
}

function fullUsage(
  provider: FakeProvider,
  ctx: Ctx,
  text: string,
  u: FakeUsage | undefined,
): Required<FakeUsage> {
  const messages = JSON.stringify(requestMessages(provider, ctx.body) ?? "");
  return {
    input: u?.input ?? Math.max(1, Math.ceil(messages.length / 4)),
    output: u?.output ?? Math.ceil(text.length / 4),
    cacheRead: u?.cacheRead ?? 0,
    cacheWrite: u?.cacheWrite ?? 0,
    reasoning: u?.reasoning ?? 0,
  };
}

async function respond(provider: FakeProvider, s: Scenario, ctx: Ctx): Promise<void> {
  const streaming = ctx.stream ?? ctx.body?.stream === true;
  const wire = WIRES[provider];
  switch (s.kind) {
    case "text":
      return streaming ? wire.streamText(ctx, s) : wire.text(ctx, s);
    case "rate_limited":
    case "overloaded":
    case "server_error":
    case "unauthorized":
    case "bad_request":
      return wire.error(ctx, s);
    case "hang":
      return;
    case "stream_error":
    case "stall":
    case "disconnect": {
      if (!streaming) {
        if (s.kind === "stream_error") return wire.error(ctx, { kind: "server_error" });
        if (s.kind === "disconnect") ctx.res.socket?.destroy();
        return;
      }
      const pieces = splitChunks(s.text ?? DEFAULT_REPLY).slice(0, s.afterChunks ?? 1);
      await wire.streamBroken(ctx, pieces, s.kind);
      return;
    }
  }
}

type ErrorScenario = Extract<
  Scenario,
  { kind: "rate_limited" | "overloaded" | "server_error" | "unauthorized" | "bad_request" }
>;
type TextScenario = Extract<Scenario, { kind: "text" }>;

interface Wire {
  text(ctx: Ctx, s: TextScenario): void;
  streamText(ctx: Ctx, s: TextScenario): Promise<void>;
  /** the start of a stream, then an error event, a stall or a dropped connection */
  streamBroken(ctx: Ctx, pieces: string[], how: "stream_error" | "stall" | "disconnect"): Promise<void>;
  error(ctx: Ctx, s: ErrorScenario): void;
}

function sseHeaders(res: ServerResponse, extra: Record<string, string>): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...extra,
  });
}

function endBroken(ctx: Ctx, how: "stream_error" | "stall" | "disconnect", errorFrame: string): void {
  if (how === "stream_error") {
    ctx.res.end(errorFrame);
  } else if (how === "disconnect") {
    ctx.res.socket?.destroy();
  }
  // "stall": leave the response open; close() destroys the socket
}

function retryAfterSeconds(s: ErrorScenario): number {
  return s.kind === "rate_limited" ? (s.retryAfterSeconds ?? 2) : 0;
}

function extraHeaders(s: ErrorScenario): Record<string, string> {
  return "headers" in s && s.headers ? s.headers : {};
}

function bearerKey(headers: IncomingHttpHeaders): string {
  const auth = headers.authorization ?? "";
  return auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : auth;
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions

const OPENAI_FINISH = { stop: "stop", length: "length", content_filter: "content_filter" } as const;

const openaiWire: Wire = {
  text(ctx, s) {
    const text = s.text ?? DEFAULT_REPLY;
    const u = fullUsage("openai", ctx, text, s.usage);
    sendJson(
      ctx.res,
      200,
      {
        id: `chatcmpl-fake${ctx.seq}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: ctx.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: text, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: s.rawFinishReason ?? OPENAI_FINISH[s.finishReason ?? "stop"],
          },
        ],
        ...(s.omitUsage ? {} : { usage: openaiUsage(u) }),
        service_tier: "default",
        system_fingerprint: "fp_fake",
      },
      openaiHeaders(ctx),
    );
  },

  async streamText(ctx, s) {
    const text = s.text ?? DEFAULT_REPLY;
    const u = fullUsage("openai", ctx, text, s.usage);
    const includeUsage = ctx.body?.stream_options?.include_usage === true && !s.omitUsage;
    sseHeaders(ctx.res, openaiHeaders(ctx));
    const frame = (choices: unknown[], usage: unknown = null) =>
      `data: ${JSON.stringify({
        id: `chatcmpl-fake${ctx.seq}`,
        object: "chat.completion.chunk",
        created: Math.floor(Date.now() / 1000),
        model: ctx.model,
        service_tier: "default",
        system_fingerprint: "fp_fake",
        choices,
        ...(includeUsage ? { usage } : {}),
      })}\n\n`;
    const delta = (d: unknown, finish: string | null = null) => ({
      index: 0,
      delta: d,
      logprobs: null,
      finish_reason: finish,
    });
    ctx.res.write(frame([delta({ role: "assistant", content: "", refusal: null })]));
    for (const piece of splitChunks(text)) {
      if (s.chunkDelayMs) await sleep(s.chunkDelayMs);
      if (!open(ctx.res)) return;
      ctx.res.write(frame([delta({ content: piece })]));
    }
    ctx.res.write(frame([delta({}, s.rawFinishReason ?? OPENAI_FINISH[s.finishReason ?? "stop"])]));
    if (includeUsage) ctx.res.write(frame([], openaiUsage(u)));
    ctx.res.end("data: [DONE]\n\n");
  },

  async streamBroken(ctx, pieces, how) {
    sseHeaders(ctx.res, openaiHeaders(ctx));
    for (const piece of pieces) {
      ctx.res.write(
        `data: ${JSON.stringify({
          id: `chatcmpl-fake${ctx.seq}`,
          object: "chat.completion.chunk",
          created: Math.floor(Date.now() / 1000),
          model: ctx.model,
          choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }],
        })}\n\n`,
      );
    }
    const error = {
      error: {
        message: "The server had an error while processing your request. Sorry about that!",
        type: "server_error",
        param: null,
        code: null,
      },
    };
    endBroken(ctx, how, `data: ${JSON.stringify(error)}\n\n`);
  },

  error(ctx, s) {
    const headers = { ...openaiHeaders(ctx), ...extraHeaders(s) };
    switch (s.kind) {
      case "rate_limited":
        return sendJson(
          ctx.res,
          429,
          {
            error: {
              message: `Rate limit reached for ${ctx.model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${retryAfterSeconds(s)}s.`,
              type: "requests",
              param: null,
              code: "rate_limit_exceeded",
            },
          },
          {
            "retry-after": String(retryAfterSeconds(s)),
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": `${retryAfterSeconds(s)}s`,
            ...headers,
          },
        );
      case "overloaded":
        return sendJson(
          ctx.res,
          503,
          {
            error: {
              message: "The server is overloaded or not ready yet.",
              type: "server_error",
              param: null,
              code: "server_is_overloaded",
            },
          },
          headers,
        );
      case "server_error":
        return sendJson(
          ctx.res,
          500,
          {
            error: {
              message: "The server had an error while processing your request. Sorry about that!",
              type: "server_error",
              param: null,
              code: null,
            },
          },
          headers,
        );
      case "unauthorized":
        return sendJson(
          ctx.res,
          401,
          {
            error: {
              message: `Incorrect API key provided: ${bearerKey(ctx.headers)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
              type: "invalid_request_error",
              param: null,
              code: "invalid_api_key",
            },
          },
          headers,
        );
      case "bad_request":
        return sendJson(
          ctx.res,
          400,
          {
            error: {
              message: s.message ?? "Invalid value for 'temperature': must be between 0 and 2.",
              type: "invalid_request_error",
              param: "temperature",
              code: "invalid_value",
            },
          },
          headers,
        );
    }
  },
};

function openaiHeaders(ctx: Ctx): Record<string, string> {
  return { "x-request-id": `req_fake_openai_${ctx.seq}`, "openai-processing-ms": "42" };
}

function openaiUsage(u: Required<FakeUsage>) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages

const ANTHROPIC_STOP = { stop: "end_turn", length: "max_tokens", content_filter: "refusal" } as const;

const anthropicWire: Wire = {
  text(ctx, s) {
    const text = s.text ?? DEFAULT_REPLY;
    const u = fullUsage("anthropic", ctx, text, s.usage);
    sendJson(
      ctx.res,
      200,
      {
        id: `msg_fake${ctx.seq}`,
        type: "message",
        role: "assistant",
        model: ctx.model,
        content: [{ type: "text", text }],
        stop_reason: s.rawFinishReason ?? ANTHROPIC_STOP[s.finishReason ?? "stop"],
        stop_sequence: null,
        container: null,
        usage: {
          ...anthropicInputUsage(u),
          output_tokens: u.output,
          output_tokens_details: u.reasoning ? { thinking_tokens: u.reasoning } : null,
          server_tool_use: null,
          service_tier: "standard",
        },
      },
      anthropicHeaders(ctx),
    );
  },

  async streamText(ctx, s) {
    const text = s.text ?? DEFAULT_REPLY;
    const u = fullUsage("anthropic", ctx, text, s.usage);
    sseHeaders(ctx.res, anthropicHeaders(ctx));
    writeAnthropicStart(ctx, u);
    for (const piece of splitChunks(text)) {
      if (s.chunkDelayMs) await sleep(s.chunkDelayMs);
      if (!open(ctx.res)) return;
      ctx.res.write(anthropicDelta(piece));
    }
    ctx.res.write(event("content_block_stop", { type: "content_block_stop", index: 0 }));
    ctx.res.write(
      event("message_delta", {
        type: "message_delta",
        delta: {
          stop_reason: s.rawFinishReason ?? ANTHROPIC_STOP[s.finishReason ?? "stop"],
          stop_sequence: null,
        },
        // cumulative totals, as the API sends them since 2025
        usage: {
          ...anthropicInputUsage(u),
          output_tokens: u.output,
          output_tokens_details: u.reasoning ? { thinking_tokens: u.reasoning } : null,
          server_tool_use: null,
        },
      }),
    );
    ctx.res.end(event("message_stop", { type: "message_stop" }));
  },

  async streamBroken(ctx, pieces, how) {
    sseHeaders(ctx.res, anthropicHeaders(ctx));
    writeAnthropicStart(ctx, fullUsage("anthropic", ctx, pieces.join(""), undefined));
    for (const piece of pieces) ctx.res.write(anthropicDelta(piece));
    const error = { type: "error", error: { type: "api_error", message: "Internal server error" } };
    endBroken(ctx, how, event("error", error));
  },

  error(ctx, s) {
    const headers = { ...anthropicHeaders(ctx), ...extraHeaders(s) };
    const body = (type: string, message: string) => ({
      type: "error",
      error: { type, message },
      request_id: `req_fake_anthropic_${ctx.seq}`,
    });
    switch (s.kind) {
      case "rate_limited":
        return sendJson(
          ctx.res,
          429,
          body(
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per minute.",
          ),
          {
            "retry-after": String(retryAfterSeconds(s)),
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": new Date(
              Date.now() + retryAfterSeconds(s) * 1000,
            ).toISOString(),
            ...headers,
          },
        );
      case "overloaded":
        return sendJson(ctx.res, 529, body("overloaded_error", "Overloaded"), headers);
      case "server_error":
        return sendJson(ctx.res, 500, body("api_error", "Internal server error"), headers);
      case "unauthorized":
        return sendJson(ctx.res, 401, body("authentication_error", "invalid x-api-key"), headers);
      case "bad_request":
        return sendJson(
          ctx.res,
          400,
          body("invalid_request_error", s.message ?? "max_tokens: Field required"),
          headers,
        );
    }
  },
};

function anthropicHeaders(ctx: Ctx): Record<string, string> {
  return { "request-id": `req_fake_anthropic_${ctx.seq}` };
}

function anthropicInputUsage(u: Required<FakeUsage>) {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite, ephemeral_1h_input_tokens: 0 },
  };
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** message_start (usage so far: the input, and a token or so of output) through the first ping. */
function writeAnthropicStart(ctx: Ctx, u: Required<FakeUsage>): void {
  ctx.res.write(
    event("message_start", {
      type: "message_start",
      message: {
        id: `msg_fake${ctx.seq}`,
        type: "message",
        role: "assistant",
        model: ctx.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        container: null,
        usage: { ...anthropicInputUsage(u), output_tokens: 1, service_tier: "standard" },
      },
    }),
  );
  ctx.res.write(
    event("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
  );
  ctx.res.write(event("ping", { type: "ping" }));
}

function anthropicDelta(text: string): string {
  return event("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text },
  });
}

// ---------------------------------------------------------------------------------------------
// Gemini generateContent

const GEMINI_FINISH = { stop: "STOP", length: "MAX_TOKENS", content_filter: "SAFETY" } as const;

const geminiWire: Wire = {
  text(ctx, s) {
    const text = s.text ?? DEFAULT_REPLY;
    const u = fullUsage("gemini", ctx, text, s.usage);
    sendJson(ctx.res, 200, {
      candidates: [
        {
          content: { parts: [{ text }], role: "model" },
          finishReason: s.rawFinishReason ?? GEMINI_FINISH[s.finishReason ?? "stop"],
          index: 0,
        },
      ],
      usageMetadata: geminiUsage(u, u.output),
      modelVersion: ctx.model,
      responseId: `fake-gemini-${ctx.seq}`,
    });
  },

  async streamText(ctx, s) {
    const text = s.text ?? DEFAULT_REPLY;
    const u = fullUsage("gemini", ctx, text, s.usage);
    const pieces = splitChunks(text);
    if (pieces.length === 0) pieces.push("");
    sseHeaders(ctx.res, {});
    let sent = 0;
    for (const [i, piece] of pieces.entries()) {
      if (s.chunkDelayMs) await sleep(s.chunkDelayMs);
      if (!open(ctx.res)) return;
      const last = i === pieces.length - 1;
      sent += piece.length;
      // running totals; only the last chunk's are the whole call's
      const output = last ? u.output : Math.floor((u.output * sent) / Math.max(1, text.length));
      ctx.res.write(
        geminiFrame({
          candidates: [
            {
              content: { parts: [{ text: piece }], role: "model" },
              ...(last && { finishReason: s.rawFinishReason ?? GEMINI_FINISH[s.finishReason ?? "stop"] }),
              index: 0,
            },
          ],
          usageMetadata: last
            ? geminiUsage(u, output)
            : { promptTokenCount: u.input, candidatesTokenCount: output, totalTokenCount: u.input + output },
          modelVersion: ctx.model,
          responseId: `fake-gemini-${ctx.seq}`,
        }),
      );
    }
    ctx.res.end();
  },

  async streamBroken(ctx, pieces, how) {
    sseHeaders(ctx.res, {});
    for (const piece of pieces) {
      ctx.res.write(
        geminiFrame({
          candidates: [{ content: { parts: [{ text: piece }], role: "model" }, index: 0 }],
          modelVersion: ctx.model,
          responseId: `fake-gemini-${ctx.seq}`,
        }),
      );
    }
    const error = {
      error: {
        code: 500,
        message:
          "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
        status: "INTERNAL",
      },
    };
    endBroken(ctx, how, geminiFrame(error));
  },

  error(ctx, s) {
    const headers = extraHeaders(s);
    const body = (code: number, status: string, message: string, details?: unknown[]) => ({
      error: { code, message, status, ...(details && { details }) },
    });
    switch (s.kind) {
      case "rate_limited":
        return sendJson(
          ctx.res,
          429,
          body(
            429,
            "RESOURCE_EXHAUSTED",
            `You exceeded your current quota, please check your plan and billing details. Please retry in ${retryAfterSeconds(s)}s.`,
            [
              {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                violations: [
                  {
                    quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    quotaDimensions: { location: "global", model: ctx.model },
                    quotaValue: "10",
                  },
                ],
              },
              {
                "@type": "type.googleapis.com/google.rpc.Help",
                links: [
                  {
                    description: "Learn more about Gemini API quotas",
                    url: "https://ai.google.dev/gemini-api/docs/rate-limits",
                  },
                ],
              },
              { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterSeconds(s)}s` },
            ],
          ),
          headers,
        );
      case "overloaded":
        return sendJson(
          ctx.res,
          503,
          body(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
          headers,
        );
      case "server_error":
        return sendJson(
          ctx.res,
          500,
          body(
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
          ),
          headers,
        );
      case "unauthorized":
        return sendJson(
          ctx.res,
          400,
          body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
            {
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              reason: "API_KEY_INVALID",
              domain: "googleapis.com",
              metadata: { service: "generativelanguage.googleapis.com" },
            },
          ]),
          headers,
        );
      case "bad_request":
        return sendJson(
          ctx.res,
          400,
          body(400, "INVALID_ARGUMENT", s.message ?? "Request contains an invalid argument."),
          headers,
        );
    }
  },
};

/** The real API separates SSE events with CRLF pairs. */
function geminiFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}

function geminiUsage(u: Required<FakeUsage>, output: number) {
  return {
    promptTokenCount: u.input,
    candidatesTokenCount: output,
    totalTokenCount: u.input + output + u.reasoning,
    ...(u.cacheRead && { cachedContentTokenCount: u.cacheRead }),
    ...(u.reasoning && { thoughtsTokenCount: u.reasoning }),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.input }],
  };
}

const WIRES: Record<FakeProvider, Wire> = {
  openai: openaiWire,
  anthropic: anthropicWire,
  gemini: geminiWire,
};
