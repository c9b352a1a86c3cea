import type { Deps } from "../../deps.ts";
import { type Conn, inTransaction } from "../../lib/db.ts";
import type { DatasetItemRow, DatasetRow } from "../../lib/db-types.ts";
import { AppError, conflict, notFound } from "../../lib/errors.ts";
import { decodeCursor, encodeCursor } from "../../lib/http.ts";
import { newId } from "../../lib/ids.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import {
  type Item,
  itemsToCsv,
  itemsToJsonl,
  type LineError,
  MAX_REPORTED_ERRORS,
  parseDatasetCsv,
  parseJsonl,
  toItem,
} from "./formats.ts";
import * as q from "./queries.ts";
import { type ItemInput, MAX_DATASET_ITEMS } from "./schemas.ts";

const iso = (d: Date | string) => new Date(d).toISOString();

export const datasetView = (d: DatasetRow) => ({
  id: d.id,
  name: d.name,
  description: d.description,
  item_count: d.item_count,
  frozen: d.frozen_at !== null,
  frozen_at: d.frozen_at ? iso(d.frozen_at) : null,
  copied_from_dataset_id: d.copied_from_dataset_id,
  created_by_user_id: d.created_by_user_id,
  created_at: iso(d.created_at),
  updated_at: iso(d.updated_at),
});

export const itemView = (i: DatasetItemRow) => ({
  id: i.id,
  position: i.position,
  variables: i.variables,
  expected: i.expected,
  metadata: i.metadata,
});

const frozenError = (d: DatasetRow) =>
  conflict(
    `Dataset "${d.name}" is used by an evaluation run, so its items can no longer change (results stay ` +
      `reproducible). Make an editable copy with POST /api/v1/datasets/${d.id}/copy`,
    { dataset_id: d.id, frozen_at: d.frozen_at ? iso(d.frozen_at) : null },
  );

/** Validate API-body items; every bad one is listed with its index. */
function validateItems(raw: ItemInput[]): Item[] {
  const items: Item[] = [];
  const errors: Array<{ path: string; message: string }> = [];
  raw.forEach((r, i) => {
    const v = toItem(r);
    if ("error" in v) errors.push({ path: `body.items.${i}`, message: v.error });
    else items.push(v.item);
  });
  if (errors.length) {
    throw new AppError(
      "validation_failed",
      `Invalid request: ${errors[0]?.path}: ${errors[0]?.message}`,
      errors,
    );
  }
  return items;
}

function checkLimit(existing: number, adding: number) {
  if (existing + adding > MAX_DATASET_ITEMS) {
    throw new AppError(
      "bad_request",
      `A dataset holds at most ${MAX_DATASET_ITEMS} items; this would make ${existing + adding}`,
      { limit: MAX_DATASET_ITEMS, existing, adding },
    );
  }
}

/** Append items after the dataset's last position, inside the caller's transaction (row already locked). */
async function appendRows(deps: Deps, tx: Conn, d: DatasetRow, items: Item[]): Promise<DatasetRow> {
  await q.insertItems(
    tx,
    items.map((it, i) => ({
      id: newId("datasetItem"),
      dataset_id: d.id,
      organization_id: d.organization_id,
      position: d.item_count + i + 1,
      variables: JSON.stringify(it.variables),
      expected: it.expected,
      metadata: JSON.stringify(it.metadata),
    })),
  );
  return q.updateDataset(tx, d.organization_id, d.id, {
    item_count: d.item_count + items.length,
    updated_at: deps.clock.now(),
  });
}

export async function createDataset(
  deps: Deps,
  ctx: Ctx,
  input: { name: string; description?: string; items?: ItemInput[] },
) {
  const items = validateItems(input.items ?? []);
  checkLimit(0, items.length);
  return inTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    let d = await q.insertDataset(tx, {
      id: newId("dataset"),
      organization_id: ctx.actor.orgId,
      name: input.name,
      description: input.description ?? "",
      copied_from_dataset_id: null,
      created_by_user_id: ctx.actor.userId,
      created_at: now,
      updated_at: now,
    });
    if (items.length) d = await appendRows(deps, tx, d, items);
    await audit(tx, ctx, {
      action: "dataset.create",
      resourceType: "dataset",
      resourceId: d.id,
      summary: { name: d.name, items: items.length },
    });
    return datasetView(d);
  });
}

export async function listDatasets(deps: Deps, ctx: Ctx, f: { limit: number; cursor?: string }) {
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const rows = await q.listDatasets(deps.db, ctx.actor.orgId, {
    limit: f.limit,
    ...(after ? { after } : {}),
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(datasetView),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

export async function mustGetDataset(deps: Deps, ctx: Ctx, id: string): Promise<DatasetRow> {
  const d = await q.getDataset(deps.db, ctx.actor.orgId, id);
  if (!d) throw notFound("Dataset");
  return d;
}

export async function getDataset(deps: Deps, ctx: Ctx, id: string) {
  return datasetView(await mustGetDataset(deps, ctx, id));
}

/** Name and description may change on a frozen dataset too: they are not what a run reads. */
export async function updateDataset(
  deps: Deps,
  ctx: Ctx,
  id: string,
  input: { name?: string; description?: string },
) {
  return inTransaction(deps.db, async (tx) => {
    const before = await q.getDatasetForUpdate(tx, ctx.actor.orgId, id);
    if (!before) throw notFound("Dataset");
    const after = await q.updateDataset(tx, ctx.actor.orgId, id, { ...input, updated_at: deps.clock.now() });
    await audit(tx, ctx, {
      action: "dataset.update",
      resourceType: "dataset",
      resourceId: id,
      summary: {
        before: { name: before.name, description: before.description },
        after: { name: after.name, description: after.description },
      },
    });
    return datasetView(after);
  });
}

export async function deleteDataset(deps: Deps, ctx: Ctx, id: string) {
  await inTransaction(deps.db, async (tx) => {
    const d = await q.getDatasetForUpdate(tx, ctx.actor.orgId, id);
    if (!d) throw notFound("Dataset");
    const runs = await q.countRunsUsing(tx, ctx.actor.orgId, id);
    if (runs > 0) {
      throw conflict(
        `Dataset "${d.name}" is used by ${runs} evaluation run(s), whose results refer to its items; it cannot be deleted`,
        { runs },
      );
    }
    await q.deleteDataset(tx, ctx.actor.orgId, id);
    await audit(tx, ctx, {
      action: "dataset.delete",
      resourceType: "dataset",
      resourceId: id,
      summary: { name: d.name, items: d.item_count },
    });
  });
}

/** Items by position; the cursor is the last position seen. */
export async function listItems(deps: Deps, ctx: Ctx, id: string, f: { limit: number; cursor?: string }) {
  await mustGetDataset(deps, ctx, id);
  let afterPosition: number | undefined;
  if (f.cursor) {
    const raw = Buffer.from(f.cursor, "base64url").toString("utf8");
    if (!/^p:\d{1,9}$/.test(raw)) throw new AppError("bad_request", "Invalid cursor");
    afterPosition = Number(raw.slice(2));
  }
  const rows = await q.listItems(deps.db, ctx.actor.orgId, id, {
    limit: f.limit,
    ...(afterPosition !== undefined ? { afterPosition } : {}),
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(itemView),
    next_cursor:
      rows.length > f.limit && last ? Buffer.from(`p:${last.position}`).toString("base64url") : null,
  };
}

async function appendValidated(
  deps: Deps,
  ctx: Ctx,
  id: string,
  items: Item[],
  action: "dataset_items.append" | "dataset_items.import",
  summary: Record<string, unknown>,
) {
  return inTransaction(deps.db, async (tx) => {
    const d = await q.getDatasetForUpdate(tx, ctx.actor.orgId, id);
    if (!d) throw notFound("Dataset");
    if (d.frozen_at) throw frozenError(d);
    checkLimit(d.item_count, items.length);
    const after = await appendRows(deps, tx, d, items);
    await audit(tx, ctx, {
      action,
      resourceType: "dataset",
      resourceId: id,
      summary: { ...summary, items: items.length, first_position: d.item_count + 1 },
    });
    return { after, firstPosition: d.item_count + 1 };
  });
}

export async function appendItems(deps: Deps, ctx: Ctx, id: string, raw: ItemInput[]) {
  const d = await mustGetDataset(deps, ctx, id);
  if (d.frozen_at) throw frozenError(d);
  const items = validateItems(raw);
  const { after, firstPosition } = await appendValidated(deps, ctx, id, items, "dataset_items.append", {});
  // Positions were assigned under the row lock, so this range is exactly the items just added.
  const rows = await q.listItems(deps.db, ctx.actor.orgId, id, {
    afterPosition: firstPosition - 1,
    limit: items.length,
  });
  return { dataset: datasetView(after), data: rows.slice(0, items.length).map(itemView) };
}

export type DatasetFormat = "jsonl" | "csv";

/**
 * Import a JSONL or CSV file: every row is validated first, and any bad row fails the whole import with a 400
 * that lists each bad line; nothing is written then.
 */
export async function importItems(
  deps: Deps,
  ctx: Ctx,
  id: string,
  input: { format: DatasetFormat; content: string },
) {
  const d = await mustGetDataset(deps, ctx, id);
  if (d.frozen_at) throw frozenError(d);
  const parsed = input.format === "csv" ? parseDatasetCsv(input.content) : parseJsonl(input.content);
  if (parsed.errors.length) throw badFile(input.format, parsed.errors);
  if (parsed.items.length === 0) throw new AppError("bad_request", `The ${input.format} file has no items`);
  const { after } = await appendValidated(deps, ctx, id, parsed.items, "dataset_items.import", {
    format: input.format,
  });
  return { imported: parsed.items.length, dataset: datasetView(after) };
}

function badFile(format: DatasetFormat, errors: LineError[]): AppError {
  const first = errors[0] as LineError;
  const more = errors.length >= MAX_REPORTED_ERRORS ? ` (the first ${MAX_REPORTED_ERRORS} are listed)` : "";
  return new AppError(
    "validation_failed",
    `The ${format} file has ${errors.length === 1 ? "a bad line" : `${errors.length} bad lines`}${more}; ` +
      `nothing was imported. Line ${first.line}: ${first.message}`,
    errors,
  );
}

export async function exportItems(deps: Deps, ctx: Ctx, id: string, format: DatasetFormat) {
  const d = await mustGetDataset(deps, ctx, id);
  const rows = await q.listItems(deps.db, ctx.actor.orgId, id);
  const items: Item[] = rows.map((r) => ({
    variables: r.variables,
    expected: r.expected,
    metadata: r.metadata,
  }));
  return {
    filename: `${d.name.replace(/[^\w.-]+/g, "_") || "dataset"}.${format}`,
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    body: format === "csv" ? itemsToCsv(items) : itemsToJsonl(items),
  };
}

/** An editable copy (never frozen), the way to change a dataset that a run has used. */
export async function copyDataset(
  deps: Deps,
  ctx: Ctx,
  id: string,
  input: { name?: string; description?: string },
) {
  const src = await mustGetDataset(deps, ctx, id);
  const rows = await q.listItems(deps.db, ctx.actor.orgId, id);
  const items: Item[] = rows.map((r) => ({
    variables: r.variables,
    expected: r.expected,
    metadata: r.metadata,
  }));
  return inTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    let d = await q.insertDataset(tx, {
      id: newId("dataset"),
      organization_id: ctx.actor.orgId,
      name: input.name ?? `${src.name} (copy)`,
      description: input.description ?? src.description,
      copied_from_dataset_id: src.id,
      created_by_user_id: ctx.actor.userId,
      created_at: now,
      updated_at: now,
    });
    if (items.length) d = await appendRows(deps, tx, d, items);
    await audit(tx, ctx, {
      action: "dataset.copy",
      resourceType: "dataset",
      resourceId: d.id,
      summary: { from: src.id, name: d.name, items: items.length },
    });
    return datasetView(d);
  });
}

/** For a starting run: the dataset's items, read once. */
export async function itemsOf(deps: Deps, ctx: Ctx, id: string) {
  return q.listItems(deps.db, ctx.actor.orgId, id);
}
