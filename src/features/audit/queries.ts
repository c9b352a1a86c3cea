import { beforeCursor, type Conn } from "../../lib/db.ts";

export interface AuditFilter {
  action?: string;
  resourceType?: string;
  resourceId?: string;
  actorId?: string;
  after?: { createdAt: Date; id: string };
  limit: number;
}

export function listAudit(db: Conn, orgId: string, f: AuditFilter) {
  let q = db.selectFrom("audit_logs").selectAll().where("organization_id", "=", orgId);
  if (f.action) q = q.where("action", "=", f.action);
  if (f.resourceType) q = q.where("resource_type", "=", f.resourceType);
  if (f.resourceId) q = q.where("resource_id", "=", f.resourceId);
  if (f.actorId) q = q.where("actor_id", "=", f.actorId);
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
