import { sql } from "kysely";
import type { Deps } from "../../deps.ts";
import type { Db } from "../../lib/db.ts";
import type { ModelRow } from "../../lib/db-types.ts";
import type { ExecutionView } from "../executions/views.ts";

/** Aggregate counts only: the metric carries no ids. */
export async function activityCounts(db: Db): Promise<{ activeUsers24h: number; activeKeys24h: number }> {
  const r = await sql<{ users: string; keys: string }>`
    SELECT count(DISTINCT user_id)::text AS users, count(DISTINCT api_key_id)::text AS keys
    FROM executions WHERE created_at > now() - interval '24 hours'`.execute(db);
  return { activeUsers24h: Number(r.rows[0]?.users ?? 0), activeKeys24h: Number(r.rows[0]?.keys ?? 0) };
}

/**
 * The model label: catalog slugs for the global catalog (a bounded set); every organization's own model
 * collapses to "org-model", so tenants cannot grow the series count.
 */
export const modelLabel = (m: Pick<ModelRow, "slug" | "organization_id">): string =>
  m.organization_id ? "org-model" : m.slug;

export interface CallObservation {
  model: Pick<ModelRow, "slug" | "organization_id" | "provider">;
  seconds: number;
  ttftSeconds: number | null;
  errorType: string | null;
  traceId?: string | undefined;
}

/** Provider-call metrics (GenAI semconv), observed by the pipeline right after the call. */
export function observeProviderCall(deps: Deps, o: CallObservation): void {
  const base = {
    gen_ai_provider_name: o.model.provider,
    gen_ai_request_model: modelLabel(o.model),
    gen_ai_operation_name: "chat",
  };
  // prom-client types exemplar labels as the metric's own label names; any label set is valid on the wire.
  const exemplar = (o.traceId ? { trace_id: o.traceId } : undefined) as
    | Record<string, string>
    | undefined as never;
  deps.metrics.llm.duration.observe({
    labels: { ...base, error_type: o.errorType ?? "" },
    value: o.seconds,
    ...(exemplar ? { exemplarLabels: exemplar } : {}),
  });
  if (o.ttftSeconds !== null) {
    deps.metrics.llm.ttft.observe({
      labels: base,
      value: o.ttftSeconds,
      ...(exemplar ? { exemplarLabels: exemplar } : {}),
    });
  }
  const status = deps.metrics.providerStatus.get(o.model.provider) ?? {
    lastSuccessAt: null,
    lastError: null,
    calls: 0,
    errors: 0,
  };
  status.calls++;
  if (o.errorType) {
    status.errors++;
    status.lastError = { type: o.errorType, at: new Date().toISOString() };
  } else {
    status.lastSuccessAt = new Date().toISOString();
  }
  deps.metrics.providerStatus.set(o.model.provider, status);
  if (o.errorType) {
    deps.metrics.llm.errors.inc({
      gen_ai_provider_name: base.gen_ai_provider_name,
      gen_ai_request_model: base.gen_ai_request_model,
      error_type: o.errorType,
    });
  }
}

/** Business metrics, after the execution committed. */
export function observeExecution(
  deps: Deps,
  model: Pick<ModelRow, "slug" | "organization_id" | "provider">,
  tier: string,
  e: ExecutionView,
): void {
  const provider = model.provider;
  const m = modelLabel(model);
  deps.metrics.business.executions.inc({
    source: e.source,
    status: e.status,
    tier,
    gen_ai_provider_name: provider,
    gen_ai_request_model: m,
  });
  const u = e.usage;
  const byType: Array<[string, number]> = [
    ["input", u.input_tokens],
    ["output", u.output_tokens],
    ["cached_input", u.cached_input_tokens],
    ["reasoning", u.reasoning_tokens],
  ];
  for (const [type, n] of byType) {
    if (n > 0)
      deps.metrics.business.tokens.inc(
        { gen_ai_provider_name: provider, gen_ai_request_model: m, gen_ai_token_type: type, tier },
        n,
      );
  }
  if (u.input_tokens > 0 || u.output_tokens > 0) {
    const base = { gen_ai_provider_name: provider, gen_ai_request_model: m, gen_ai_operation_name: "chat" };
    deps.metrics.llm.tokenUsage.observe({ ...base, gen_ai_token_type: "input" }, u.input_tokens);
    deps.metrics.llm.tokenUsage.observe({ ...base, gen_ai_token_type: "output" }, u.output_tokens);
  }
  // A float here is fine: it is a monitoring signal. Money of record is the exact NUMERIC in the database.
  const usd = Number(e.cost_usd);
  if (usd > 0)
    deps.metrics.business.cost.inc({ gen_ai_provider_name: provider, gen_ai_request_model: m, tier }, usd);
}
