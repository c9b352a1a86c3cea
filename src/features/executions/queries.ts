import { beforeCursor, type Conn } from "../../lib/db.ts";
import type { ExecutionSource, NewExecution } from "../../lib/db-types.ts";

export function insertExecution(db: Conn, row: NewExecution) {
  return db.insertInto("executions").values(row).returningAll().executeTakeFirstOrThrow();
}

export function insertUsage(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    user_id: string | null;
    api_key_id: string | null;
    execution_id: string;
    model_id: string | null;
    prompt_id: string | null;
    tokens_input: number;
    tokens_output: number;
    tokens_cached_input: number;
    tokens_reasoning: number;
    cost_usd: string;
    price_id: string | null;
    recorded_at: Date;
  },
) {
  return db.insertInto("usage_records").values(row).execute();
}

export function getExecution(db: Conn, orgId: string, id: string) {
  return db
    .selectFrom("executions")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export function findByIdempotencyKey(db: Conn, orgId: string, key: string) {
  return db
    .selectFrom("executions")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("idempotency_key", "=", key)
    .executeTakeFirst();
}

export interface ExecutionFilter {
  promptId?: string;
  model?: string;
  status?: "succeeded" | "failed";
  source?: ExecutionSource;
  runId?: string;
  from?: Date;
  to?: Date;
  after?: { createdAt: Date; id: string };
  limit: number;
}

export function listExecutions(db: Conn, orgId: string, f: ExecutionFilter) {
  let q = db.selectFrom("executions").selectAll().where("organization_id", "=", orgId);
  if (f.promptId) q = q.where("prompt_id", "=", f.promptId);
  if (f.model) q = q.where("model", "=", f.model);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.source) q = q.where("source", "=", f.source);
  if (f.runId) q = q.where("run_id", "=", f.runId);
  if (f.from) q = q.where("created_at", ">=", f.from);
  if (f.to) q = q.where("created_at", "<", f.to);
  if (f.after) {
    const a = f.after;
    q = q.where(beforeCursor("created_at", a.createdAt, a.id));
  }
  return q
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(f.limit + 1)
    .execute();
}
