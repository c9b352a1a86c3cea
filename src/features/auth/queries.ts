import type { Conn } from "../../lib/db.ts";

export function findUserByEmail(db: Conn, email: string) {
  return db
    .selectFrom("users")
    .selectAll()
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
    .executeTakeFirst();
}

/** The session with its user and the membership in its current org, in one query. */
export function findSession(db: Conn, sessionId: string) {
  return db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .leftJoin("memberships as m", (j) =>
      j.onRef("m.user_id", "=", "s.user_id").onRef("m.organization_id", "=", "s.organization_id"),
    )
    .leftJoin("organizations as o", "o.id", "m.organization_id")
    .select(["s.id", "s.user_id", "s.organization_id", "s.expires_at", "u.email", "m.role", "o.tier"])
    .where("s.id", "=", sessionId)
    .executeTakeFirst();
}

export function insertSession(
  db: Conn,
  row: {
    id: string;
    user_id: string;
    organization_id: string | null;
    expires_at: Date;
    ip: string | null;
    user_agent: string | null;
  },
) {
  return db.insertInto("sessions").values(row).execute();
}

export function deleteSession(db: Conn, sessionId: string) {
  return db.deleteFrom("sessions").where("id", "=", sessionId).executeTakeFirst();
}

export function setSessionOrg(db: Conn, sessionId: string, orgId: string) {
  return db.updateTable("sessions").set({ organization_id: orgId }).where("id", "=", sessionId).execute();
}

export function firstMembership(db: Conn, userId: string) {
  return db
    .selectFrom("memberships")
    .select(["organization_id", "role"])
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .executeTakeFirst();
}

export function membershipsOf(db: Conn, userId: string) {
  return db
    .selectFrom("memberships as m")
    .innerJoin("organizations as o", "o.id", "m.organization_id")
    .select(["o.id", "o.name", "o.slug", "o.tier", "m.role"])
    .where("m.user_id", "=", userId)
    .orderBy("o.name")
    .execute();
}

/** A key with its org's tier, by hash (request path) or by id within an org (jobs). */
function keyWithTier(db: Conn) {
  return db
    .selectFrom("api_keys as k")
    .innerJoin("organizations as o", "o.id", "k.organization_id")
    .select([
      "k.id",
      "k.organization_id",
      "k.created_by_user_id",
      "k.scopes",
      "k.expires_at",
      "k.revoked_at",
      "o.tier",
    ]);
}

export function findKeyByHash(db: Conn, keyHash: string) {
  return keyWithTier(db).where("k.key_hash", "=", keyHash).executeTakeFirst();
}

export function findKeyInOrg(db: Conn, orgId: string, keyId: string) {
  return keyWithTier(db).where("k.id", "=", keyId).where("k.organization_id", "=", orgId).executeTakeFirst();
}

export function membershipWithTier(db: Conn, orgId: string, userId: string) {
  return db
    .selectFrom("memberships as m")
    .innerJoin("organizations as o", "o.id", "m.organization_id")
    .select(["m.role", "o.tier"])
    .where("m.user_id", "=", userId)
    .where("m.organization_id", "=", orgId)
    .executeTakeFirst();
}

export function getUser(db: Conn, userId: string) {
  return db.selectFrom("users").select(["id", "email", "name"]).where("id", "=", userId).executeTakeFirst();
}

export function touchKey(db: Conn, keyId: string, at: Date) {
  return db.updateTable("api_keys").set({ last_used_at: at }).where("id", "=", keyId).execute();
}
