import type { Deps } from "../../deps.ts";
import { inTransaction } from "../../lib/db.ts";
import type { PromptRow, PromptVersionRow } from "../../lib/db-types.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { decodeCursor, encodeCursor } from "../../lib/http.ts";
import { newId } from "../../lib/ids.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import * as models from "../models/service.ts";
import {
  type MessageInput,
  messagesView,
  normalizeMessages,
  type StoredParams,
} from "../providers/schemas.ts";
import type { ChatMessage } from "../providers/types.ts";
import * as q from "./queries.ts";
import { extractVariables } from "./template.ts";

export interface VersionInput {
  messages: MessageInput[];
  model: string;
  params?: StoredParams;
  commit_message?: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export const versionView = (v: PromptVersionRow) => ({
  id: v.id,
  prompt_id: v.prompt_id,
  version: v.version,
  messages: messagesView(v.messages as ChatMessage[]),
  model: v.model,
  params: v.params as StoredParams,
  variables: v.variables,
  commit_message: v.commit_message,
  author_user_id: v.author_user_id,
  author_api_key_id: v.author_api_key_id,
  created_at: iso(v.created_at),
});

type LabelRow = Awaited<ReturnType<typeof q.labelsOf>>[number];

const promptView = (p: PromptRow, labels: LabelRow[]) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  tags: p.tags,
  latest_version: p.latest_version,
  labels: Object.fromEntries(labels.filter((l) => l.prompt_id === p.id).map((l) => [l.label, l.version])),
  created_by_user_id: p.created_by_user_id,
  created_at: iso(p.created_at),
  updated_at: iso(p.updated_at),
});

async function insertNextVersion(
  deps: Deps,
  ctx: Ctx,
  tx: Parameters<typeof q.insertVersion>[0],
  prompt: PromptRow,
  input: VersionInput,
) {
  const messages = normalizeMessages(input.messages);
  const next = prompt.latest_version + 1;
  const row = await q.insertVersion(tx, {
    id: newId("version"),
    prompt_id: prompt.id,
    organization_id: ctx.actor.orgId,
    version: next,
    messages: JSON.stringify(messages),
    model: input.model,
    params: JSON.stringify(input.params ?? {}),
    variables: extractVariables(messages),
    commit_message: input.commit_message ?? "",
    author_user_id: ctx.actor.kind === "user" ? ctx.actor.userId : null,
    author_api_key_id: ctx.actor.apiKeyId,
  });
  await q.updatePrompt(tx, ctx.actor.orgId, prompt.id, {
    latest_version: next,
    updated_at: deps.clock.now(),
  });
  await audit(tx, ctx, {
    action: "prompt_version.create",
    resourceType: "prompt_version",
    resourceId: row.id,
    summary: { prompt_id: prompt.id, version: next, model: input.model, commit_message: row.commit_message },
  });
  return row;
}

export async function createPrompt(
  deps: Deps,
  ctx: Ctx,
  input: { name: string; description?: string; tags?: string[]; version?: VersionInput },
) {
  if (input.version) await models.resolveModel(deps, ctx.actor.orgId, input.version.model);
  return inTransaction(deps.db, async (tx) => {
    const p = await q.insertPrompt(tx, {
      id: newId("prompt"),
      organization_id: ctx.actor.orgId,
      name: input.name,
      description: input.description ?? "",
      tags: [...new Set(input.tags ?? [])],
      created_by_user_id: ctx.actor.userId,
      created_at: deps.clock.now(),
      updated_at: deps.clock.now(),
    });
    await audit(tx, ctx, {
      action: "prompt.create",
      resourceType: "prompt",
      resourceId: p.id,
      summary: { name: p.name, tags: p.tags },
    });
    let version: PromptVersionRow | null = null;
    if (input.version) version = await insertNextVersion(deps, ctx, tx, p, input.version);
    const fresh = (await q.getPrompt(tx, ctx.actor.orgId, p.id)) ?? p;
    return { ...promptView(fresh, []), version: version ? versionView(version) : null };
  });
}

export async function listPrompts(
  deps: Deps,
  ctx: Ctx,
  f: { search?: string; tag?: string; limit: number; cursor?: string },
) {
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const rows = await q.listPrompts(deps.db, ctx.actor.orgId, {
    ...(f.search ? { search: f.search } : {}),
    ...(f.tag ? { tag: f.tag } : {}),
    limit: f.limit,
    ...(after ? { after: { updatedAt: after.createdAt, id: after.id } } : {}),
  });
  const page = rows.slice(0, f.limit);
  const labels = await q.labelsOf(
    deps.db,
    ctx.actor.orgId,
    page.map((p) => p.id),
  );
  const last = page[page.length - 1];
  return {
    data: page.map((p) => promptView(p, labels)),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.updated_at, last.id) : null,
  };
}

async function mustGetPrompt(deps: Deps, ctx: Ctx, promptId: string) {
  const p = await q.getPrompt(deps.db, ctx.actor.orgId, promptId);
  if (!p) throw notFound("Prompt");
  return p;
}

export async function getPrompt(deps: Deps, ctx: Ctx, promptId: string) {
  const p = await mustGetPrompt(deps, ctx, promptId);
  const labels = await q.labelsOf(deps.db, ctx.actor.orgId, [p.id]);
  const latest =
    p.latest_version > 0 ? await q.getVersion(deps.db, ctx.actor.orgId, p.id, p.latest_version) : undefined;
  return { ...promptView(p, labels), version: latest ? versionView(latest) : null };
}

export async function updatePrompt(
  deps: Deps,
  ctx: Ctx,
  promptId: string,
  input: { name?: string; description?: string; tags?: string[] },
) {
  return inTransaction(deps.db, async (tx) => {
    const before = await q.getPromptForUpdate(tx, ctx.actor.orgId, promptId);
    if (!before) throw notFound("Prompt");
    const after = await q.updatePrompt(tx, ctx.actor.orgId, promptId, {
      ...input,
      ...(input.tags ? { tags: [...new Set(input.tags)] } : {}),
      updated_at: deps.clock.now(),
    });
    await audit(tx, ctx, {
      action: "prompt.update",
      resourceType: "prompt",
      resourceId: promptId,
      summary: {
        before: { name: before.name, description: before.description, tags: before.tags },
        after: { name: after.name, description: after.description, tags: after.tags },
      },
    });
    const labels = await q.labelsOf(tx, ctx.actor.orgId, [promptId]);
    return promptView(after, labels);
  });
}

export async function deletePrompt(deps: Deps, ctx: Ctx, promptId: string) {
  await inTransaction(deps.db, async (tx) => {
    const p = await q.getPromptForUpdate(tx, ctx.actor.orgId, promptId);
    if (!p) throw notFound("Prompt");
    await q.deletePrompt(tx, ctx.actor.orgId, promptId);
    await audit(tx, ctx, {
      action: "prompt.delete",
      resourceType: "prompt",
      resourceId: promptId,
      summary: { name: p.name, versions: p.latest_version },
    });
  });
}

export async function createVersion(deps: Deps, ctx: Ctx, promptId: string, input: VersionInput) {
  await models.resolveModel(deps, ctx.actor.orgId, input.model);
  return inTransaction(deps.db, async (tx) => {
    const p = await q.getPromptForUpdate(tx, ctx.actor.orgId, promptId);
    if (!p) throw notFound("Prompt");
    return versionView(await insertNextVersion(deps, ctx, tx, p, input));
  });
}

export async function listVersions(deps: Deps, ctx: Ctx, promptId: string) {
  await mustGetPrompt(deps, ctx, promptId);
  return (await q.listVersions(deps.db, ctx.actor.orgId, promptId)).map(versionView);
}

export async function getVersion(deps: Deps, ctx: Ctx, promptId: string, version: number) {
  const v = await q.getVersion(deps.db, ctx.actor.orgId, promptId, version);
  if (!v) throw notFound("Prompt version");
  return versionView(v);
}

/** Which version an execute call means: an explicit number, a label, or the latest. */
export async function resolveVersion(
  deps: Deps,
  ctx: Ctx,
  promptId: string,
  sel: { version?: number; label?: string },
): Promise<PromptVersionRow> {
  if (sel.version !== undefined && sel.label !== undefined) {
    throw new AppError("validation_failed", "Give either version or label, not both", [
      { path: "body", message: "version and label are exclusive" },
    ]);
  }
  const p = await mustGetPrompt(deps, ctx, promptId);
  let v: PromptVersionRow | undefined;
  if (sel.label !== undefined) {
    v = await q.getVersionByLabel(deps.db, ctx.actor.orgId, promptId, sel.label);
    if (!v) throw notFound(`Label "${sel.label}"`);
  } else {
    const n = sel.version ?? p.latest_version;
    if (n === 0) throw new AppError("bad_request", "This prompt has no versions yet; create one first");
    v = await q.getVersion(deps.db, ctx.actor.orgId, promptId, n);
    if (!v) throw notFound("Prompt version");
  }
  return v;
}

export async function setLabel(deps: Deps, ctx: Ctx, promptId: string, label: string, version: number) {
  return inTransaction(deps.db, async (tx) => {
    const p = await q.getPromptForUpdate(tx, ctx.actor.orgId, promptId);
    if (!p) throw notFound("Prompt");
    const v = await q.getVersion(tx, ctx.actor.orgId, promptId, version);
    if (!v) throw notFound("Prompt version");
    const before = (await q.labelsOf(tx, ctx.actor.orgId, [promptId])).find((l) => l.label === label);
    await q.upsertLabel(tx, {
      prompt_id: promptId,
      organization_id: ctx.actor.orgId,
      label,
      version_id: v.id,
      updated_at: deps.clock.now(),
    });
    await audit(tx, ctx, {
      action: "prompt_label.set",
      resourceType: "prompt_label",
      resourceId: `${promptId}:${label}`,
      summary: { label, from_version: before?.version ?? null, to_version: version },
    });
    return { prompt_id: promptId, label, version };
  });
}

export async function deleteLabel(deps: Deps, ctx: Ctx, promptId: string, label: string) {
  await inTransaction(deps.db, async (tx) => {
    const p = await q.getPromptForUpdate(tx, ctx.actor.orgId, promptId);
    if (!p) throw notFound("Prompt");
    const res = await q.deleteLabel(tx, ctx.actor.orgId, promptId, label);
    if (Number(res.numDeletedRows) === 0) throw notFound(`Label "${label}"`);
    await audit(tx, ctx, {
      action: "prompt_label.delete",
      resourceType: "prompt_label",
      resourceId: `${promptId}:${label}`,
      summary: { label },
    });
  });
}
