/**
 * A deterministic provider with no network, for local runs, demos and tests. Same input, same
 * output, same token counts, every time. Models:
 *  - "echo":  replies "Echo: " + the text of the last user message
 *  - "lorem": lorem ipsum whose length follows a hash of the input
 *  - "error": always fails with ProviderError upstream_error
 *  - "slow":  like "echo", but takes SLOW_EXTRA_MS longer
 */
import {
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
import { abortError } from "./errors.ts";

const PROVIDER = "mock";
export const MOCK_MODELS = ["echo", "lorem", "error", "slow"] as const;
/** the extra delay of the "slow" model, on top of latencyMs */
export const SLOW_EXTRA_MS = 1000;
/** what one image costs, whatever its size: OpenAI's low-detail price */
export const MOCK_IMAGE_TOKENS = 85;
/** per-message framing tokens (role, separators), roughly what chat templates add */
const MESSAGE_OVERHEAD_TOKENS = 4;
const CHARS_PER_TOKEN = 4;

const LOREM = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et " +
  "dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex " +
  "ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu " +
  "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt in culpa qui officia deserunt " +
  "mollit anim id est laborum"
).split(" ");

/** The tokenizer estimate the mock bills with: one token per 4 characters, rounded up. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / CHARS_PER_TOKEN);

/** Input tokens the mock reports for these messages. */
export function mockInputTokens(messages: ChatMessage[]): number {
  let total = 0;
  for (const m of messages) {
    const images = m.content.filter((p) => p.type === "image").length;
    total += estimateTokens(messageText(m)) + images * MOCK_IMAGE_TOKENS + MESSAGE_OVERHEAD_TOKENS;
  }
  return total;
}

export function createMockAdapter(opts: { latencyMs: number }): ProviderAdapter {
  const reply = (req: CompletionRequest): { result: CompletionResult; delayMs: number } => {
    const hash = fnv1a(JSON.stringify([req.model, req.messages]));
    let text: string;
    let delayMs = opts.latencyMs;
    switch (req.model) {
      case "echo":
        text = `Echo: ${lastUserText(req.messages)}`;
        break;
      case "slow":
        text = `Echo: ${lastUserText(req.messages)}`;
        delayMs += SLOW_EXTRA_MS;
        break;
      case "lorem":
        text = lorem(hash);
        break;
      case "error":
        throw new ProviderError("upstream_error", PROVIDER, `${PROVIDER}: the "error" model always fails`, {
          status: 500,
        });
      default:
        throw new ProviderError(
          "invalid_request",
          PROVIDER,
          `${PROVIDER}: unknown model "${req.model}" (known: ${MOCK_MODELS.join(", ")})`,
          { status: 404 },
        );
    }

    let finishReason: FinishReason = "stop";
    const stopAt = firstStop(text, req.params.stop);
    if (stopAt !== undefined) text = text.slice(0, stopAt);
    const { maxTokens } = req.params;
    if (maxTokens !== undefined && estimateTokens(text) > maxTokens) {
      text = text.slice(0, Math.max(0, maxTokens) * CHARS_PER_TOKEN);
      finishReason = "length";
    }

    const usage: Usage = {
      inputTokens: mockInputTokens(req.messages),
      outputTokens: estimateTokens(text),
      cachedInputTokens: 0,
      reasoningTokens: 0,
    };
    const providerRequestId = `mock_${hash.toString(16).padStart(8, "0")}`;
    return { result: { text, finishReason, usage, providerRequestId }, delayMs };
  };

  return {
    provider: PROVIDER,

    async complete(req: CompletionRequest): Promise<CompletionResult> {
      throwIfAborted(req.signal);
      const { result, delayMs } = reply(req);
      await sleep(delayMs, req.signal);
      return result;
    },

    async *stream(req: CompletionRequest): AsyncIterable<StreamEvent> {
      throwIfAborted(req.signal);
      const { result, delayMs } = reply(req);
      const chunks = result.text.match(/\s*\S+/g) ?? [];
      // the same total latency as complete(), spread evenly ahead of each chunk
      const perChunk = delayMs / Math.max(1, chunks.length);
      for (const chunk of chunks) {
        await sleep(perChunk, req.signal);
        yield { type: "delta", text: chunk };
      }
      if (chunks.length === 0) await sleep(delayMs, req.signal);
      throwIfAborted(req.signal);
      yield { type: "done", result };
    },
  };
}

function lastUserText(messages: ChatMessage[]): string {
  const last = messages.findLast((m) => m.role === "user");
  return last ? messageText(last) : "";
}

/** 20 to 119 words, picked by the hash, cycling through the lorem text from a hash-chosen start. */
function lorem(hash: number): string {
  const words = 20 + (hash % 100);
  const start = (hash >>> 8) % LOREM.length;
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(LOREM[(start + i) % LOREM.length] ?? "lorem");
  const text = out.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function firstStop(text: string, stop: string[] | undefined): number | undefined {
  let at: number | undefined;
  for (const s of stop ?? []) {
    if (s === "") continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at === undefined || i < at)) at = i;
  }
  return at;
}

/** 32-bit FNV-1a: stable across runs and platforms, unlike anything seeded. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
