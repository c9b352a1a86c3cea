import type { Deps } from "../../deps.ts";
import type { Conn } from "../../lib/db.ts";
import { decodeCursor, encodeCursor } from "../../lib/http.ts";
import { newId } from "../../lib/ids.ts";
import type { Ctx } from "../auth/actor.ts";
import * as q from "./queries.ts";

/**
 * The closed list of auditable resources. A new mutating feature adds its type here.
 */
export type AuditResource =
  | "organization"
  | "user"
  | "membership"
  | "session"
  | "api_key"
  | "provider_credential"
  | "model"
  | "model_price"
  | "prompt"
  | "prompt_version"
  | "prompt_label"
  | "dataset"
  | "evaluation_run"
  | "workflow"
  | "workflow_run";

export interface AuditEntry {
  action: string;
  resourceType: AuditResource;
  resourceId: string | null;
  /** what changed; never secrets (callers pass hints, not keys) */
  summary?: Record<string, unknown>;
  /** only for actions before an org context exists (e.g. a failed login) */
  orgId?: string | null;
}

const SECRET_KEYS = /pass(word)?|secret|token|api_?key|authorization|cookie/i;

/** Belt and braces: drop any field that looks like a secret, however it got into a summary. */
function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && typeof v === "string" ? "[redacted]" : scrub(v, depth + 1);
  }
  return out;
}

/** Write one audit row inside the caller's transaction, so the mutation and its record commit together. */
export async function audit(
  tx: Conn,
  ctx: Ctx | { system: true; requestId?: string },
  entry: AuditEntry,
): Promise<void> {
  const isSystem = "system" in ctx;
  await tx
    .insertInto("audit_logs")
    .values({
      id: newId("audit"),
      organization_id: entry.orgId !== undefined ? entry.orgId : isSystem ? null : ctx.actor.orgId,
      actor_type: isSystem ? "system" : ctx.actor.kind,
      actor_id: isSystem ? null : ctx.actor.id,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId,
      summary: JSON.stringify(scrub(entry.summary ?? {})),
      ip: isSystem ? null : ctx.meta.ip,
      user_agent: isSystem ? null : ctx.meta.userAgent,
      request_id: isSystem ? (ctx.requestId ?? null) : ctx.meta.requestId,
      // millisecond precision, so (created_at, id) cursors compare exactly with JS dates
      created_at: new Date(),
    })
    .execute();
}

export async function listAuditLogs(
  deps: Deps,
  ctx: Ctx,
  f: {
    action?: string;
    resource_type?: string;
    resource_id?: string;
    actor_id?: string;
    limit: number;
    cursor?: string;
  },
) {
  const rows = await q.listAudit(deps.db, ctx.actor.orgId, {
    ...(f.action ? { action: f.action } : {}),
    ...(f.resource_type ? { resourceType: f.resource_type } : {}),
    ...(f.resource_id ? { resourceId: f.resource_id } : {}),
    ...(f.actor_id ? { actorId: f.actor_id } : {}),
    ...(f.cursor ? { after: decodeCursor(f.cursor) } : {}),
    limit: f.limit,
  });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map((e) => ({
      ...e,
      summary: e.summary as Record<string, unknown>,
      created_at: new Date(e.created_at).toISOString(),
    })),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}
