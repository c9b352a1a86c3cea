/**
 * The one normalized interface every provider adapter implements. Nothing outside
 * src/features/providers/adapters/ knows a provider's wire format.
 */

export type ImageSource =
  | { kind: "url"; url: string }
  | { kind: "base64"; mediaType: string; data: string }
  /** an uploaded media object, resolved to url/base64 before it reaches an adapter (multi-modal issue) */
  | { kind: "media"; mediaId: string };

export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; source: ImageSource; detail?: "auto" | "low" | "high" };

export type Role = "system" | "user" | "assistant";

export interface ChatMessage {
  role: Role;
  content: ContentPart[];
}

export interface ModelParams {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
}

export interface Usage {
  /** every input token, cached ones included (OpenAI's meaning; Anthropic's cache tokens are added in) */
  inputTokens: number;
  /** every output token, reasoning included */
  outputTokens: number;
  /** the part of inputTokens read from the provider's prompt cache */
  cachedInputTokens: number;
  /** the part of outputTokens spent on reasoning */
  reasoningTokens: number;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "other";

export interface CompletionResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** the provider's own request id, for support tickets */
  providerRequestId?: string;
}

export type StreamEvent = { type: "delta"; text: string } | { type: "done"; result: CompletionResult };

export interface CompletionRequest {
  /** the provider's own model name, e.g. "gpt-4o-mini" (not the catalog slug) */
  model: string;
  messages: ChatMessage[];
  params: ModelParams;
  signal?: AbortSignal;
}

export interface ProviderAdapter {
  readonly provider: string;
  complete(req: CompletionRequest): Promise<CompletionResult>;
  /** yields deltas, then exactly one `done` event carrying the final usage */
  stream(req: CompletionRequest): AsyncIterable<StreamEvent>;
}

export type ProviderErrorKind =
  | "rate_limited"
  | "overloaded"
  | "invalid_request"
  | "auth"
  | "timeout"
  | "upstream_error";

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  /** upstream HTTP status, when there was one */
  readonly status: number | undefined;
  /** milliseconds the provider asked us to wait, when it said */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ProviderErrorKind,
    provider: string,
    message: string,
    opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "ProviderError";
    this.kind = kind;
    this.provider = provider;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** What an adapter is built from: the decrypted credential and where to send requests. */
export interface AdapterConfig {
  apiKey: string;
  /** overrides the SDK's default base URL (OpenAI: …/v1; Anthropic: no /v1; Gemini: host only) */
  baseUrl?: string;
  timeoutMs: number;
}

export const textPart = (text: string): ContentPart => ({ type: "text", text });

/** All text parts of a message joined; images are skipped. */
export function messageText(m: ChatMessage): string {
  return m.content
    .filter((p): p is Extract<ContentPart, { type: "text" }> => p.type === "text")
    .map((p) => p.text)
    .join("");
}
