/** Google Gemini API (generativelanguage.googleapis.com), through `@google/genai`. */
import {
  type Content,
  FinishReason as GeminiFinishReason,
  type GenerateContentConfig,
  type GenerateContentParameters,
  type GenerateContentResponse,
  type GenerateContentResponseUsageMetadata,
  GoogleGenAI,
  type Part,
} from "@google/genai";
import {
  type AdapterConfig,
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type FinishReason,
  type ProviderAdapter,
  ProviderError,
  type StreamEvent,
  type Usage,
} from "../types.ts";
import { startCall } from "./errors.ts";

const PROVIDER = "gemini";
const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com";

/** Gemini needs a MIME type for file URIs; guessed from the extension, since our url source has none. */
const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
};

export function createGeminiAdapter(cfg: AdapterConfig): ProviderAdapter {
  const client = new GoogleGenAI({
    apiKey: cfg.apiKey,
    // explicit, so GOOGLE_GENAI_USE_VERTEXAI / GOOGLE_GEMINI_BASE_URL cannot redirect us
    vertexai: false,
    // No SDK `timeout`: it would also bound the whole streamed body, cutting off long but live
    // streams. startCall's idle timer enforces cfg.timeoutMs instead.
    httpOptions: { baseUrl: cfg.baseUrl ?? GEMINI_BASE_URL, apiVersion: "v1beta" },
  });

  const params = (req: CompletionRequest, signal: AbortSignal): GenerateContentParameters => {
    const system = req.messages.filter((m) => m.role === "system").flatMap(toParts);
    const p = req.params;
    const config: GenerateContentConfig = {
      abortSignal: signal,
      ...(system.length > 0 && { systemInstruction: { role: "user", parts: system } }),
      ...(p.temperature !== undefined && { temperature: p.temperature }),
      ...(p.maxTokens !== undefined && { maxOutputTokens: p.maxTokens }),
      ...(p.topP !== undefined && { topP: p.topP }),
      ...(p.stop !== undefined && p.stop.length > 0 && { stopSequences: p.stop }),
    };
    return {
      model: req.model,
      contents: req.messages.filter((m) => m.role !== "system").map(toContent),
      config,
    };
  };

  return {
    provider: PROVIDER,

    async complete(req: CompletionRequest): Promise<CompletionResult> {
      const call = startCall(PROVIDER, cfg, req.signal);
      try {
        const res = await client.models.generateContent(params(req, call.signal));
        return {
          text: responseText(res),
          finishReason: mapFinishReason(res),
          usage: mapUsage(res.usageMetadata),
          ...(res.responseId && { providerRequestId: res.responseId }),
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
        const stream = await client.models.generateContentStream(params(req, call.signal));
        let text = "";
        let last: GenerateContentResponse | undefined;
        let finish: FinishReason = "other";
        for await (const chunk of call.watch(stream)) {
          last = chunk;
          // the finish reason rides on the last content chunk; later chunks may carry only usage
          if (chunk.candidates?.[0]?.finishReason || chunk.promptFeedback?.blockReason) {
            finish = mapFinishReason(chunk);
          }
          const delta = responseText(chunk);
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
            finishReason: finish,
            // each chunk's usageMetadata is a running total, so the last one is the whole call
            usage: mapUsage(last?.usageMetadata),
            ...(last?.responseId && { providerRequestId: last.responseId }),
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

function toContent(m: ChatMessage): Content {
  return { role: m.role === "assistant" ? "model" : "user", parts: toParts(m) };
}

function toParts(m: ChatMessage): Part[] {
  return m.content.map((p): Part => {
    if (p.type === "text") return { text: p.text };
    const src = p.source;
    if (src.kind === "media") {
      throw new ProviderError(
        "invalid_request",
        PROVIDER,
        `${PROVIDER}: media ${src.mediaId} was not resolved`,
      );
    }
    if (src.kind === "base64") return { inlineData: { mimeType: src.mediaType, data: src.data } };
    const mimeType = guessMimeType(src.url);
    return { fileData: { fileUri: src.url, ...(mimeType && { mimeType }) } };
  });
}

function guessMimeType(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url;
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? MIME_BY_EXTENSION[ext] : undefined;
}

/** Text of the first candidate, without thought summaries. */
function responseText(res: GenerateContentResponse): string {
  const parts = res.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((p) => typeof p.text === "string" && !p.thought)
    .map((p) => p.text)
    .join("");
}

function mapFinishReason(res: GenerateContentResponse): FinishReason {
  const candidate = res.candidates?.[0];
  // a blocked prompt comes back with promptFeedback and no candidate at all
  if (!candidate && res.promptFeedback?.blockReason) return "content_filter";
  switch (candidate?.finishReason) {
    case GeminiFinishReason.STOP:
      return "stop";
    case GeminiFinishReason.MAX_TOKENS:
      return "length";
    case GeminiFinishReason.SAFETY:
    case GeminiFinishReason.PROHIBITED_CONTENT:
    case GeminiFinishReason.BLOCKLIST:
    case GeminiFinishReason.RECITATION:
    case GeminiFinishReason.SPII:
    case GeminiFinishReason.IMAGE_SAFETY:
    case GeminiFinishReason.IMAGE_PROHIBITED_CONTENT:
      return "content_filter";
    default:
      return "other";
  }
}

function mapUsage(u: GenerateContentResponseUsageMetadata | undefined): Usage {
  const thoughts = u?.thoughtsTokenCount ?? 0;
  return {
    // promptTokenCount already includes cached content tokens
    inputTokens: u?.promptTokenCount ?? 0,
    cachedInputTokens: u?.cachedContentTokenCount ?? 0,
    // candidatesTokenCount leaves out thinking; ours counts every output token
    outputTokens: (u?.candidatesTokenCount ?? 0) + thoughts,
    reasoningTokens: thoughts,
  };
}
