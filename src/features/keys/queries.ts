import type { Conn } from "../../lib/db.ts";

const publicColumns = [
  "id",
  "name",
  "prefix",
  "scopes",
  "created_by_user_id",
  "expires_at",
  "last_used_at",
  "revoked_at",
  "created_at",
] as const;

export function insertKey(
  db: Conn,
  row: {
    id: string;
    organization_id: string;
    name: string;
    prefix: string;
    key_hash: string;
    scopes: string[];
    created_by_user_id: string | null;
    expires_at: Date | null;
  },
) {
  return db.insertInto("api_keys").values(row).returning(publicColumns).executeTakeFirstOrThrow();
}

export function listKeys(db: Conn, orgId: string) {
  return db
    .selectFrom("api_keys")
    .select(publicColumns)
    .where("organization_id", "=", orgId)
    .orderBy("created_at", "desc")
    .execute();
}

export function getKey(db: Conn, orgId: string, keyId: string) {
  return db
    .selectFrom("api_keys")
    .select(publicColumns)
    .where("organization_id", "=", orgId)
    .where("id", "=", keyId)
    .executeTakeFirst();
}

export function revokeKey(db: Conn, orgId: string, keyId: string, at: Date) {
  return db
    .updateTable("api_keys")
    .set({ revoked_at: at })
    .where("organization_id", "=", orgId)
    .where("id", "=", keyId)
    .where("revoked_at", "is", null)
    .returning(publicColumns)
    .executeTakeFirst();
}

export function revokeKeysCreatedBy(db: Conn, orgId: string, userId: string, at: Date) {
  return db
    .updateTable("api_keys")
    .set({ revoked_at: at })
    .where("organization_id", "=", orgId)
    .where("created_by_user_id", "=", userId)
    .where("revoked_at", "is", null)
    .returning(["id", "name", "prefix"])
    .execute();
}
