import type { ExecutionRow } from "../../lib/db-types.ts";
import { formatCost, parseCost } from "../../lib/money.ts";
import { messagesView } from "../providers/schemas.ts";
import type { ChatMessage } from "../providers/types.ts";

export const executionSummary = (e: ExecutionRow) => ({
  id: e.id,
  status: e.status,
  source: e.source,
  model: e.model,
  prompt_id: e.prompt_id,
  prompt_version_id: e.prompt_version_id,
  output: e.output,
  finish_reason: e.finish_reason,
  usage: {
    input_tokens: e.tokens_input,
    output_tokens: e.tokens_output,
    cached_input_tokens: e.tokens_cached_input,
    reasoning_tokens: e.tokens_reasoning,
    total_tokens: e.tokens_input + e.tokens_output,
  },
  // Normalised exact decimal string: "0.0005103", never a float.
  cost_usd: formatCost(parseCost(e.cost_usd)),
  latency_ms: e.latency_ms,
  ttft_ms: e.ttft_ms,
  stream: e.stream,
  error: (e.error ?? null) as { code: string; message: string } | null,
  user_id: e.user_id,
  api_key_id: e.api_key_id,
  request_id: e.request_id,
  run_id: e.run_id,
  created_at: new Date(e.created_at).toISOString(),
  completed_at: new Date(e.completed_at).toISOString(),
});

export const executionDetail = (e: ExecutionRow) => ({
  ...executionSummary(e),
  inputs: e.inputs as Record<string, unknown>,
  messages: messagesView(e.messages as ChatMessage[]),
  params: e.params as Record<string, unknown>,
});

export type ExecutionView = ReturnType<typeof executionSummary>;
