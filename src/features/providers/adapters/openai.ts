/**
 * OpenAI Chat Completions, also used for OpenAI-compatible servers (vLLM, Ollama, llama.cpp),
 * which speak the same wire format at another base URL.
 */
import OpenAI from "openai";
import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
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

const OPENAI_BASE_URL = "https://api.openai.com/v1";

export function createOpenAIAdapter(cfg: AdapterConfig, provider = "openai"): ProviderAdapter {
  if (provider !== "openai" && !cfg.baseUrl) {
    throw new ProviderError("invalid_request", provider, `${provider}: a base URL is required`);
  }
  const client = new OpenAI({
    // local servers often run without a key, but the SDK refuses to start without one
    apiKey: cfg.apiKey || "none",
    // explicit, so OPENAI_BASE_URL / OPENAI_ORG_ID / OPENAI_PROJECT_ID in the environment cannot redirect us
    baseURL: cfg.baseUrl ?? OPENAI_BASE_URL,
    organization: null,
    project: null,
    timeout: cfg.timeoutMs,
    // retries are the gateway's decision, made once across all providers
    maxRetries: 0,
  });

  const body = (req: CompletionRequest): ChatCompletionCreateParamsBase => ({
    model: req.model,
    messages: req.messages.map((m) => toOpenAIMessage(m, provider)),
    ...(req.params.temperature !== undefined && { temperature: req.params.temperature }),
    ...(req.params.topP !== undefined && { top_p: req.params.topP }),
    ...(req.params.stop !== undefined && req.params.stop.length > 0 && { stop: req.params.stop }),
    // OpenAI's reasoning models reject `max_tokens`; compatible servers mostly know only `max_tokens`.
    ...(req.params.maxTokens !== undefined &&
      (provider === "openai"
        ? { max_completion_tokens: req.params.maxTokens }
        : { max_tokens: req.params.maxTokens })),
  });

  return {
    provider,

    async complete(req: CompletionRequest): Promise<CompletionResult> {
      const call = startCall(provider, cfg, req.signal);
      try {
        const { data, request_id } = await client.chat.completions
          .create({ ...body(req), stream: false }, { signal: call.signal })
          .withResponse();
        const choice = data.choices[0];
        return {
          text: choice?.message.content ?? "",
          finishReason: mapFinishReason(choice?.finish_reason),
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
      const call = startCall(provider, cfg, req.signal);
      try {
        const { data: stream, request_id } = await client.chat.completions
          .create(
            { ...body(req), stream: true, stream_options: { include_usage: true } },
            { signal: call.signal },
          )
          .withResponse();
        let text = "";
        let finish: string | null | undefined;
        let usage: CompletionUsage | null | undefined;
        for await (const chunk of call.watch(stream)) {
          // the usage chunk comes last with no choices; compatible servers may never send it
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices[0];
          if (!choice) continue;
          if (choice.finish_reason) finish = choice.finish_reason;
          const delta = choice.delta?.content;
          if (delta) {
            text += delta;
            yield { type: "delta", text: delta };
          }
        }
        call.throwIfAborted();
        yield {
          type: "done",
          result: {
            text,
            finishReason: mapFinishReason(finish),
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

function toOpenAIMessage(m: ChatMessage, provider: string): ChatCompletionMessageParam {
  const hasImage = m.content.some((p) => p.type === "image");
  if (!hasImage) {
    // a plain string is what every compatible server understands
    return { role: m.role, content: messageText(m) };
  }
  if (m.role !== "user") {
    throw new ProviderError(
      "invalid_request",
      provider,
      `${provider}: images are only allowed in user messages`,
    );
  }
  const parts = m.content.map((p): ChatCompletionContentPart => {
    if (p.type === "text") return { type: "text", text: p.text };
    const src = p.source;
    if (src.kind === "media") {
      throw new ProviderError(
        "invalid_request",
        provider,
        `${provider}: media ${src.mediaId} was not resolved`,
      );
    }
    const url = src.kind === "url" ? src.url : `data:${src.mediaType};base64,${src.data}`;
    return { type: "image_url", image_url: { url, ...(p.detail && { detail: p.detail }) } };
  });
  return { role: "user", content: parts };
}

function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    default:
      return "other";
  }
}

function mapUsage(u: CompletionUsage | null | undefined): Usage {
  return {
    inputTokens: u?.prompt_tokens ?? 0,
    cachedInputTokens: u?.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: u?.completion_tokens ?? 0,
    reasoningTokens: u?.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
