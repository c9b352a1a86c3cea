import type { Deps } from "../../deps.ts";
import type { ModelRow } from "../../lib/db-types.ts";
import type { Ctx } from "../auth/actor.ts";
import type { ChatMessage, CompletionResult, ModelParams } from "../providers/types.ts";
import type { ExecutionView } from "./views.ts";

/** What every stage sees about the call in flight. */
export interface CallState {
  executionId: string;
  source: string;
  model: ModelRow;
  messages: ChatMessage[];
  params: ModelParams;
  stream: boolean;
  promptId: string | null;
}

/**
 * The phase-4 stages of the model-call pipeline. Each is optional and empty in the base platform;
 * the rate-limit, budget, PII and cache features fill them. A stage ends the request by throwing an AppError.
 * Order (pipeline.ts): authorize → rateLimit → budget → render → piiMask → cache → provider → meter → afterCommit.
 */
export interface PipelineHooks {
  rateLimit?: (deps: Deps, ctx: Ctx, call: CallState) => Promise<void>;
  budget?: (deps: Deps, ctx: Ctx, call: CallState) => Promise<void>;
  piiMask?: (deps: Deps, ctx: Ctx, messages: ChatMessage[]) => Promise<ChatMessage[]>;
  cache?: {
    get(deps: Deps, ctx: Ctx, call: CallState): Promise<CompletionResult | null>;
    set(deps: Deps, ctx: Ctx, call: CallState, result: CompletionResult): Promise<void>;
  };
  /** side effects after the execution committed (metrics, alerts); errors here are logged, never returned */
  afterCommit?: Array<(deps: Deps, ctx: Ctx, execution: ExecutionView) => Promise<void>>;
}
