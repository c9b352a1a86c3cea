import type { Config } from "../../config.ts";
import type { ModelRow } from "../../lib/db-types.ts";
import { createAdapter } from "./adapters/index.ts";
import type { ProviderAdapter } from "./types.ts";

export interface ResolvedCredential {
  id: string;
  /** part of the cache key: a rotated secret or moved base URL gets a fresh client */
  version: string;
  apiKey: string;
  baseUrl: string | null;
}

/**
 * Builds (and reuses) SDK clients. Tests construct one pointing at the fake provider server through the
 * *_BASE_URL variables or a credential's base_url.
 */
export interface ProviderFactory {
  adapterFor(model: Pick<ModelRow, "provider">, credential: ResolvedCredential | null): ProviderAdapter;
}

export function createProviderFactory(config: Config): ProviderFactory {
  const cache = new Map<string, ProviderAdapter>();
  const defaults: Record<string, string | undefined> = {
    openai: config.OPENAI_BASE_URL,
    anthropic: config.ANTHROPIC_BASE_URL,
    gemini: config.GEMINI_BASE_URL,
  };
  const mock = createAdapter("mock", undefined, { mockLatencyMs: config.LECTERN_MOCK_LATENCY_MS });
  return {
    adapterFor(model, credential) {
      if (model.provider === "mock") return mock;
      if (!credential) throw new Error("a credential is required for a non-mock provider");
      const key = `${model.provider}|${credential.id}|${credential.version}`;
      let adapter = cache.get(key);
      if (!adapter) {
        const baseUrl = credential.baseUrl ?? defaults[model.provider];
        adapter = createAdapter(
          model.provider,
          {
            apiKey: credential.apiKey,
            ...(baseUrl ? { baseUrl } : {}),
            timeoutMs: config.LECTERN_PROVIDER_TIMEOUT_MS,
          },
          { mockLatencyMs: config.LECTERN_MOCK_LATENCY_MS },
        );
        if (cache.size > 1000) cache.clear();
        cache.set(key, adapter);
      }
      return adapter;
    },
  };
}
