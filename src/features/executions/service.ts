import type { Deps } from "../../deps.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { decodeCursor, encodeCursor } from "../../lib/http.ts";
import type { Ctx } from "../auth/actor.ts";
import * as prompts from "../prompts/service.ts";
import type { Variables } from "../prompts/template.ts";
import {
  type MessageInput,
  normalizeMessages,
  type ParamsInput,
  type StoredParams,
  toModelParams,
} from "../providers/schemas.ts";
import type { ChatMessage } from "../providers/types.ts";
import type { ModelCallInput } from "./pipeline.ts";
import * as q from "./queries.ts";
import { executionDetail, executionSummary } from "./views.ts";

/** Build the pipeline input for a saved prompt version (by number, label, or the latest). */
export async function promptCall(
  deps: Deps,
  ctx: Ctx,
  promptId: string,
  input: { version?: number; label?: string; variables?: Variables },
): Promise<ModelCallInput> {
  const v = await prompts.resolveVersion(deps, ctx, promptId, input);
  return {
    source: "prompt",
    model: v.model,
    messages: v.messages as ChatMessage[],
    variables: input.variables ?? {},
    params: toModelParams(v.params as StoredParams),
    promptId,
    promptVersionId: v.id,
  };
}

/** The playground's ad-hoc call: messages written in the request, optionally templated. */
export function adHocCall(input: {
  model: string;
  messages: MessageInput[];
  params?: ParamsInput;
  variables?: Variables;
}): ModelCallInput {
  return {
    source: "playground",
    model: input.model,
    messages: normalizeMessages(input.messages),
    variables: input.variables ?? {},
    params: toModelParams(input.params ?? {}),
  };
}

export async function getExecution(deps: Deps, ctx: Ctx, id: string) {
  const e = await q.getExecution(deps.db, ctx.actor.orgId, id);
  if (!e) throw notFound("Execution");
  return executionDetail(e);
}

export async function listExecutions(
  deps: Deps,
  ctx: Ctx,
  f: {
    prompt_id?: string;
    model?: string;
    status?: "succeeded" | "failed";
    source?: "prompt" | "playground" | "gateway" | "evaluation" | "workflow";
    run_id?: string;
    from?: string;
    to?: string;
    limit: number;
    cursor?: string;
  },
) {
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const from = f.from ? new Date(f.from) : undefined;
  const to = f.to ? new Date(f.to) : undefined;
  if (from && to && from >= to)
    throw new AppError("validation_failed", "from must be before to", [
      { path: "querystring.from", message: "must be before to" },
    ]);
  const rows = await q.listExecutions(deps.db, ctx.actor.orgId, {
    ...(f.prompt_id ? { promptId: f.prompt_id } : {}),
    ...(f.model ? { model: f.model } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.source ? { source: f.source } : {}),
    ...(f.run_id ? { runId: f.run_id } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(after ? { after } : {}),
    limit: f.limit,
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(executionSummary),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}
