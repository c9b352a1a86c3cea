import { type AdapterConfig, type ProviderAdapter, ProviderError } from "../types.ts";
import { createAnthropicAdapter } from "./anthropic.ts";
import { createGeminiAdapter } from "./gemini.ts";
import { createMockAdapter } from "./mock.ts";
import { createOpenAIAdapter } from "./openai.ts";

export type ProviderKind = "openai" | "anthropic" | "gemini" | "openai-compatible" | "mock";

/** Builds the adapter for one provider kind. Every kind but "mock" needs a credential. */
export function createAdapter(
  kind: ProviderKind,
  cfg: AdapterConfig | undefined,
  opts: { mockLatencyMs: number },
): ProviderAdapter {
  if (kind === "mock") return createMockAdapter({ latencyMs: opts.mockLatencyMs });
  if (!cfg) throw new ProviderError("auth", kind, `${kind}: no credential is configured`);
  switch (kind) {
    case "openai":
    case "openai-compatible":
      return createOpenAIAdapter(cfg, kind);
    case "anthropic":
      return createAnthropicAdapter(cfg);
    case "gemini":
      return createGeminiAdapter(cfg);
  }
}
