import { AppError } from "../../lib/errors.ts";
import type { ChatMessage, ContentPart, ModelParams, Usage } from "../providers/types.ts";

/**
 * OpenAI Chat Completions wire format ⇄ Lectern's normalized types, for /v1/chat/completions.
 * Only what Lectern can honour is accepted; tools and n > 1 are refused with a clear 400 rather than ignored.
 */
export interface OpenAIChatRequest {
  model: string;
  messages: Array<{ role: string; content: unknown; name?: string }>;
  temperature?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  n?: number | null;
  tools?: unknown;
  functions?: unknown;
}

function parsePart(p: unknown, i: number, j: number): ContentPart {
  const part = p as { type?: string; text?: unknown; image_url?: { url?: unknown; detail?: unknown } };
  if (part?.type === "text" && typeof part.text === "string") return { type: "text", text: part.text };
  if (part?.type === "image_url" && typeof part.image_url?.url === "string") {
    const url = part.image_url.url;
    const detail = part.image_url.detail;
    const d: { detail?: "low" | "high" | "auto" } =
      detail === "low" || detail === "high" || detail === "auto" ? { detail } : {};
    const m = /^data:(image\/[\w+.-]+);base64,(.*)$/s.exec(url);
    if (m?.[1] && m[2] !== undefined)
      return { type: "image", source: { kind: "base64", mediaType: m[1], data: m[2] }, ...d };
    return { type: "image", source: { kind: "url", url }, ...d };
  }
  throw new AppError("validation_failed", `messages[${i}].content[${j}]: unsupported content part`, [
    { path: `body.messages.${i}.content.${j}`, message: "expected a text or image_url part" },
  ]);
}

export function fromOpenAI(req: OpenAIChatRequest): { messages: ChatMessage[]; params: ModelParams } {
  if (req.tools !== undefined || req.functions !== undefined) {
    throw new AppError("bad_request", "Tool and function calling are not supported by this gateway yet");
  }
  if (req.n != null && req.n !== 1) throw new AppError("bad_request", "Only n = 1 is supported");
  const messages = req.messages.map((m, i): ChatMessage => {
    const role = m.role === "developer" ? "system" : m.role;
    if (role !== "system" && role !== "user" && role !== "assistant") {
      throw new AppError("validation_failed", `messages[${i}].role "${m.role}" is not supported`, [
        { path: `body.messages.${i}.role`, message: "expected system, developer, user or assistant" },
      ]);
    }
    if (typeof m.content === "string") return { role, content: [{ type: "text", text: m.content }] };
    if (Array.isArray(m.content)) return { role, content: m.content.map((p, j) => parsePart(p, i, j)) };
    if (m.content == null && role === "assistant") return { role, content: [{ type: "text", text: "" }] };
    throw new AppError("validation_failed", `messages[${i}].content must be a string or an array of parts`, [
      { path: `body.messages.${i}.content`, message: "expected string or array" },
    ]);
  });
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  const stop = typeof req.stop === "string" ? [req.stop] : (req.stop ?? undefined);
  const params: ModelParams = {
    ...(req.temperature != null ? { temperature: req.temperature } : {}),
    ...(maxTokens != null ? { maxTokens } : {}),
    ...(req.top_p != null ? { topP: req.top_p } : {}),
    ...(stop ? { stop } : {}),
  };
  return { messages, params };
}

export function openAIUsage(
  u:
    | { input_tokens: number; output_tokens: number; cached_input_tokens: number; reasoning_tokens: number }
    | Usage,
) {
  const input = "input_tokens" in u ? u.input_tokens : u.inputTokens;
  const output = "output_tokens" in u ? u.output_tokens : u.outputTokens;
  const cached = "cached_input_tokens" in u ? u.cached_input_tokens : u.cachedInputTokens;
  const reasoning = "reasoning_tokens" in u ? u.reasoning_tokens : u.reasoningTokens;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

export function openAIFinishReason(reason: string | null): string | null {
  if (reason === null) return null;
  return reason === "other" ? "stop" : reason;
}
