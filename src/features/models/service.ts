import type { Deps } from "../../deps.ts";
import { inTransaction } from "../../lib/db.ts";
import type { ModelRow } from "../../lib/db-types.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { newId } from "../../lib/ids.ts";
import { formatPrice, parsePrice, type TokenPrices } from "../../lib/money.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import * as providers from "../providers/service.ts";
import * as q from "./queries.ts";

/** Provider names reserved by the global catalog; an org's own model slugs may not start with them. */
const RESERVED = new Set(["openai", "anthropic", "gemini", "mock"]);

export const modelView = (m: ModelRow) => ({
  id: m.id,
  slug: m.slug,
  provider: m.provider,
  upstream_model: m.upstream_model,
  display_name: m.display_name,
  scope: m.organization_id ? ("organization" as const) : ("global" as const),
  credential_id: m.credential_id,
  capabilities: {
    vision: m.supports_vision,
    streaming: m.supports_streaming,
    context_window: m.context_window,
    max_output_tokens: m.max_output_tokens,
  },
  deprecated: m.deprecated,
});

type PriceRow = NonNullable<Awaited<ReturnType<typeof q.priceAt>>>;

/** Prices are shown as decimal strings of USD per million tokens, normalised ("0.15", not "0.150000"). */
const priceView = (p: PriceRow) => ({
  id: p.id,
  model_id: p.model_id,
  scope: p.organization_id ? ("organization" as const) : ("global" as const),
  input_per_mtok: formatPrice(parsePrice(p.input_per_mtok)),
  output_per_mtok: formatPrice(parsePrice(p.output_per_mtok)),
  cached_input_per_mtok: formatPrice(parsePrice(p.cached_input_per_mtok)),
  effective_from: new Date(p.effective_from).toISOString(),
});

export async function listModels(deps: Deps, ctx: Ctx) {
  return (await q.listModels(deps.db, ctx.actor.orgId)).map(modelView);
}

export async function getModel(deps: Deps, ctx: Ctx, id: string) {
  const m = await q.getModel(deps.db, ctx.actor.orgId, id);
  if (!m) throw notFound("Model");
  return modelView(m);
}

/** For the pipeline: a catalog slug to its row, or a 400 that says which slugs exist. */
export async function resolveModel(deps: Deps, orgId: string, slug: string): Promise<ModelRow> {
  const m = await q.findModelBySlug(deps.db, orgId, slug);
  if (!m) {
    throw new AppError("bad_request", `Unknown model "${slug}"; GET /api/v1/models lists the catalog`, {
      model: slug,
    });
  }
  return m;
}

export async function priceFor(
  deps: Deps,
  orgId: string,
  modelId: string,
  at: Date,
): Promise<{ id: string; prices: TokenPrices } | null> {
  const p = await q.priceAt(deps.db, orgId, modelId, at);
  if (!p) return null;
  return {
    id: p.id,
    prices: {
      inputPerMtok: parsePrice(p.input_per_mtok),
      outputPerMtok: parsePrice(p.output_per_mtok),
      cachedInputPerMtok: parsePrice(p.cached_input_per_mtok),
    },
  };
}

export interface NewOrgModel {
  slug: string;
  upstream_model: string;
  credential_id: string;
  display_name?: string;
  supports_vision?: boolean;
  supports_streaming?: boolean;
  context_window: number;
  max_output_tokens: number;
}

export async function createOrgModel(deps: Deps, ctx: Ctx, input: NewOrgModel) {
  const prefix = input.slug.split("/")[0] ?? "";
  if (RESERVED.has(prefix)) {
    throw new AppError(
      "validation_failed",
      `Model slugs starting with "${prefix}/" are reserved for the global catalog`,
      [{ path: "body.slug", message: "reserved prefix" }],
    );
  }
  const cred = await providers.getCredential(deps, ctx, input.credential_id);
  if (cred.provider !== "openai-compatible") {
    throw new AppError(
      "validation_failed",
      "An organization's own models must use an openai-compatible credential",
      [{ path: "body.credential_id", message: `credential is ${cred.provider}` }],
    );
  }
  return inTransaction(deps.db, async (tx) => {
    const row = await q.insertModel(tx, {
      id: newId("model"),
      organization_id: ctx.actor.orgId,
      slug: input.slug,
      provider: "openai-compatible",
      upstream_model: input.upstream_model,
      display_name: input.display_name ?? input.slug,
      credential_id: input.credential_id,
      supports_vision: input.supports_vision ?? false,
      supports_streaming: input.supports_streaming ?? true,
      context_window: input.context_window,
      max_output_tokens: input.max_output_tokens,
    });
    await audit(tx, ctx, {
      action: "model.create",
      resourceType: "model",
      resourceId: row.id,
      summary: { slug: row.slug, upstream_model: row.upstream_model, credential_id: row.credential_id },
    });
    return modelView(row);
  });
}

export async function deleteOrgModel(deps: Deps, ctx: Ctx, id: string) {
  await inTransaction(deps.db, async (tx) => {
    const m = await q.getModel(tx, ctx.actor.orgId, id);
    if (!m) throw notFound("Model");
    if (!m.organization_id) throw new AppError("forbidden", "Global catalog models cannot be deleted");
    await q.deleteModel(tx, ctx.actor.orgId, id);
    await audit(tx, ctx, {
      action: "model.delete",
      resourceType: "model",
      resourceId: id,
      summary: { slug: m.slug },
    });
  });
}

export async function listPrices(deps: Deps, ctx: Ctx, modelId: string) {
  const m = await q.getModel(deps.db, ctx.actor.orgId, modelId);
  if (!m) throw notFound("Model");
  return (await q.listPrices(deps.db, ctx.actor.orgId, modelId)).map(priceView);
}

export async function setOrgPrice(
  deps: Deps,
  ctx: Ctx,
  modelId: string,
  input: {
    input_per_mtok: string;
    output_per_mtok: string;
    cached_input_per_mtok?: string;
    effective_from?: string;
  },
) {
  const m = await q.getModel(deps.db, ctx.actor.orgId, modelId);
  if (!m) throw notFound("Model");
  const norm = (v: string) => formatPrice(parsePrice(v));
  return inTransaction(deps.db, async (tx) => {
    const row = await q.insertPrice(tx, {
      id: newId("price"),
      model_id: modelId,
      organization_id: ctx.actor.orgId,
      input_per_mtok: norm(input.input_per_mtok),
      output_per_mtok: norm(input.output_per_mtok),
      cached_input_per_mtok: norm(input.cached_input_per_mtok ?? input.input_per_mtok),
      effective_from: input.effective_from ? new Date(input.effective_from) : deps.clock.now(),
    });
    await audit(tx, ctx, {
      action: "model_price.create",
      resourceType: "model_price",
      resourceId: row.id,
      summary: { model: m.slug, ...priceView(row) },
    });
    return priceView(row);
  });
}
