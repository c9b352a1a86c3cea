import type { Deps } from "../../deps.ts";
import { secretHint } from "../../lib/crypto.ts";
import { inTransaction } from "../../lib/db.ts";
import type { ModelRow, ProviderKind } from "../../lib/db-types.ts";
import { AppError, conflict, notFound } from "../../lib/errors.ts";
import { newId } from "../../lib/ids.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import * as q from "./queries.ts";
import type { ResolvedCredential } from "./registry.ts";

type CredRow = Awaited<ReturnType<typeof q.listCredentials>>[number];

const view = (c: CredRow) => ({
  id: c.id,
  provider: c.provider,
  name: c.name,
  base_url: c.base_url,
  key_hint: c.key_hint,
  created_at: new Date(c.created_at).toISOString(),
  updated_at: new Date(c.updated_at).toISOString(),
});

export async function listCredentials(deps: Deps, ctx: Ctx) {
  return (await q.listCredentials(deps.db, ctx.actor.orgId)).map(view);
}

export async function getCredential(deps: Deps, ctx: Ctx, id: string) {
  const c = await q.getCredential(deps.db, ctx.actor.orgId, id);
  if (!c) throw notFound("Provider credential");
  return view(c);
}

export async function createCredential(
  deps: Deps,
  ctx: Ctx,
  input: { provider: ProviderKind; name?: string; api_key: string; base_url?: string },
) {
  if (input.provider === "openai-compatible" && !input.base_url) {
    throw new AppError("validation_failed", "base_url is required for an openai-compatible provider", [
      { path: "body.base_url", message: "required for openai-compatible" },
    ]);
  }
  const name = input.name ?? input.provider;
  return inTransaction(deps.db, async (tx) => {
    const row = await q.insertCredential(tx, {
      id: newId("provider"),
      organization_id: ctx.actor.orgId,
      provider: input.provider,
      name,
      base_url: input.base_url ?? null,
      secret_ciphertext: deps.secrets.encrypt(input.api_key),
      key_hint: secretHint(input.api_key),
    });
    await audit(tx, ctx, {
      action: "provider_credential.create",
      resourceType: "provider_credential",
      resourceId: row.id,
      summary: { provider: row.provider, name: row.name, base_url: row.base_url, key_hint: row.key_hint },
    });
    return view(row);
  });
}

export async function updateCredential(
  deps: Deps,
  ctx: Ctx,
  id: string,
  input: { name?: string; api_key?: string; base_url?: string | null },
) {
  return inTransaction(deps.db, async (tx) => {
    const before = await q.getCredential(tx, ctx.actor.orgId, id);
    if (!before) throw notFound("Provider credential");
    if (before.provider === "openai-compatible" && input.base_url === null) {
      // Without a base URL its calls (with this key) would go to the OpenAI SDK's default host.
      throw new AppError("validation_failed", "An openai-compatible credential needs a base_url", [
        { path: "body.base_url", message: "cannot be removed from an openai-compatible credential" },
      ]);
    }
    const after = await q.updateCredential(tx, ctx.actor.orgId, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.base_url !== undefined ? { base_url: input.base_url } : {}),
      ...(input.api_key !== undefined
        ? { secret_ciphertext: deps.secrets.encrypt(input.api_key), key_hint: secretHint(input.api_key) }
        : {}),
      updated_at: deps.clock.now(),
    });
    if (!after) throw notFound("Provider credential");
    await audit(tx, ctx, {
      action: "provider_credential.update",
      resourceType: "provider_credential",
      resourceId: id,
      summary: {
        before: { name: before.name, base_url: before.base_url, key_hint: before.key_hint },
        after: { name: after.name, base_url: after.base_url, key_hint: after.key_hint },
        secret_rotated: input.api_key !== undefined,
      },
    });
    return view(after);
  });
}

export async function deleteCredential(deps: Deps, ctx: Ctx, id: string) {
  await inTransaction(deps.db, async (tx) => {
    const c = await q.getCredential(tx, ctx.actor.orgId, id);
    if (!c) throw notFound("Provider credential");
    const used = Number((await q.countModelsUsing(tx, id)).n);
    if (used > 0) throw conflict(`This credential serves ${used} model(s); delete those models first`);
    await q.deleteCredential(tx, ctx.actor.orgId, id);
    await audit(tx, ctx, {
      action: "provider_credential.delete",
      resourceType: "provider_credential",
      resourceId: id,
      summary: { provider: c.provider, name: c.name },
    });
  });
}

/** The decrypted credential a model call needs, or a clear 400 telling the org what to configure. */
export async function resolveCredential(
  deps: Deps,
  orgId: string,
  model: ModelRow,
): Promise<ResolvedCredential | null> {
  if (model.provider === "mock") {
    if (!deps.config.mockProvider)
      throw new AppError(
        "bad_request",
        "The mock provider is disabled on this server (LECTERN_MOCK_PROVIDER)",
      );
    return null;
  }
  const row = await q.secretFor(
    deps.db,
    orgId,
    model.credential_id ? { id: model.credential_id } : { provider: model.provider },
  );
  if (!row) {
    throw new AppError(
      "bad_request",
      `No ${model.provider} credential is configured for this organization; an admin can add one at POST /api/v1/providers`,
    );
  }
  return {
    id: row.id,
    version: new Date(row.updated_at).toISOString(),
    apiKey: deps.secrets.decrypt(row.secret_ciphertext),
    baseUrl: row.base_url,
  };
}
