/** Anthropic Messages API. */
import Anthropic from "@anthropic-ai/sdk";
import type {
  Base64ImageSource,
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  StopReason,
  TextBlockParam,
} from "@anthropic-ai/sdk/resources/messages/messages";
import {
  type AdapterConfig,
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type FinishReason,
  messageText,
  type ProviderAdapter,
  ProviderError,
  type StreamEvent,
  type Usage,
} from "../types.ts";
import { startCall } from "./errors.ts";

const PROVIDER = "anthropic";
const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
/** Anthropic requires max_tokens; this is what a prompt without one gets. */
const DEFAULT_MAX_TOKENS = 1024;

/** The raw usage fields we read; the streaming delta reports them cumulatively, null when unchanged. */
type RawUsage = {
  [K in "input_tokens" | "output_tokens" | "cache_creation_input_tokens" | "cache_read_input_tokens"]?:
    | number
    | null;
} & { output_tokens_details?: { thinking_tokens: number } | null };

export function createAnthropicAdapter(cfg: AdapterConfig): ProviderAdapter {
  const client = new Anthropic({
    apiKey: cfg.apiKey,
    // explicit, so ANTHROPIC_BASE_URL in the environment cannot redirect us
    baseURL: cfg.baseUrl ?? ANTHROPIC_BASE_URL,
    timeout: cfg.timeoutMs,
    // retries are the gateway's decision, made once across all providers
    maxRetries: 0,
  });

  const body = (req: CompletionRequest): MessageCreateParamsBase => {
    const system = req.messages
      .filter((m) => m.role === "system")
      .map((m): TextBlockParam => ({ type: "text", text: messageText(m) }))
      .filter((b) => b.text !== "");
    return {
      model: req.model,
      max_tokens: req.params.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: req.messages.filter((m) => m.role !== "system").map(toAnthropicMessage),
      ...(system.length > 0 && { system }),
      ...(req.params.temperature !== undefined && { temperature: req.params.temperature }),
      ...(req.params.topP !== undefined && { top_p: req.params.topP }),
      ...(req.params.stop !== undefined && req.params.stop.length > 0 && { stop_sequences: req.params.stop }),
    };
  };

  return {
    provider: PROVIDER,

    async complete(req: CompletionRequest): Promise<CompletionResult> {
      const call = startCall(PROVIDER, cfg, req.signal);
      try {
        const { data, request_id } = await client.messages
          .create({ ...body(req), stream: false }, { signal: call.signal })
          .withResponse();
        const text = data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
        return {
          text,
          finishReason: mapStopReason(data.stop_reason),
          usage: mapUsage(data.usage),
          ...(request_id && { providerRequestId: request_id }),
        };
      } catch (err) {
        throw call.toError(err);
      } finally {
        call.done();
      }
    },

    async *stream(req: CompletionRequest): AsyncIterable<StreamEvent> {
      const call = startCall(PROVIDER, cfg, req.signal);
      try {
        const { data: stream, request_id } = await client.messages
          .create({ ...body(req), stream: true }, { signal: call.signal })
          .withResponse();
        let text = "";
        let stop: StopReason | null = null;
        let usage: RawUsage = {};
        for await (const event of call.watch(stream)) {
          if (event.type === "message_start") {
            usage = { ...event.message.usage };
          } else if (event.type === "message_delta") {
            // cumulative totals; a null field means "as before", not zero
            usage = mergeUsage(usage, event.usage);
            if (event.delta.stop_reason) stop = event.delta.stop_reason;
          } else if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
            text += event.delta.text;
            yield { type: "delta", text: event.delta.text };
          }
        }
        call.throwIfAborted();
        yield {
          type: "done",
          result: {
            text,
            finishReason: mapStopReason(stop),
            usage: mapUsage(usage),
            ...(request_id && { providerRequestId: request_id }),
          },
        };
      } catch (err) {
        throw call.toError(err);
      } finally {
        call.done();
      }
    },
  };
}

function toAnthropicMessage(m: ChatMessage): MessageParam {
  const blocks = m.content.flatMap((p): ContentBlockParam[] => {
    // the API rejects empty text blocks
    if (p.type === "text") return p.text === "" ? [] : [{ type: "text", text: p.text }];
    const src = p.source;
    if (src.kind === "media") {
      throw new ProviderError(
        "invalid_request",
        PROVIDER,
        `${PROVIDER}: media ${src.mediaId} was not resolved`,
      );
    }
    if (src.kind === "url") return [{ type: "image", source: { type: "url", url: src.url } }];
    // an unsupported media type is left for the API to reject with its own message
    const mediaType = src.mediaType as Base64ImageSource["media_type"];
    return [{ type: "image", source: { type: "base64", media_type: mediaType, data: src.data } }];
  });
  return { role: m.role === "assistant" ? "assistant" : "user", content: blocks };
}

function mergeUsage(prev: RawUsage, next: RawUsage): RawUsage {
  const present = Object.entries(next).filter(([, v]) => v !== null && v !== undefined);
  return { ...prev, ...Object.fromEntries(present) };
}

function mapStopReason(reason: StopReason | null): FinishReason {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    case "tool_use":
      return "tool_calls";
    default:
      return "other";
  }
}

function mapUsage(u: RawUsage): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  return {
    // Anthropic's input_tokens excludes both cache reads and cache writes; ours counts every input token
    inputTokens: (u.input_tokens ?? 0) + cacheRead + cacheWrite,
    cachedInputTokens: cacheRead,
    outputTokens: u.output_tokens ?? 0,
    reasoningTokens: u.output_tokens_details?.thinking_tokens ?? 0,
  };
}
