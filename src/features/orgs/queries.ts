import type { Conn } from "../../lib/db.ts";
import type { Role } from "../../lib/db-types.ts";
import { conflict } from "../../lib/errors.ts";

/** PostgreSQL unique_violation → 409, so a race between two creates is a clear conflict, not a 500. */
export async function mapUnique<T>(p: Promise<T>, message: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as { code?: string }).code === "23505") throw conflict(message);
    throw err;
  }
}

export function insertOrg(
  db: Conn,
  row: { id: string; name: string; slug: string; tier: "free" | "pro" | "enterprise" },
) {
  return mapUnique(
    db.insertInto("organizations").values(row).execute(),
    `An organization with slug "${row.slug}" exists`,
  );
}

export function getOrg(db: Conn, orgId: string) {
  return db.selectFrom("organizations").selectAll().where("id", "=", orgId).executeTakeFirst();
}

export function updateOrg(
  db: Conn,
  orgId: string,
  patch: { name?: string; tier?: "free" | "pro" | "enterprise"; updated_at: Date },
) {
  return db
    .updateTable("organizations")
    .set(patch)
    .where("id", "=", orgId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function insertUser(
  db: Conn,
  row: { id: string; email: string; name: string; password_hash: string | null },
) {
  return mapUnique(db.insertInto("users").values(row).execute(), `A user with email ${row.email} exists`);
}

export function findUserByEmail(db: Conn, email: string) {
  return db
    .selectFrom("users")
    .selectAll()
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
    .executeTakeFirst();
}

export function insertMembership(db: Conn, row: { organization_id: string; user_id: string; role: Role }) {
  return mapUnique(db.insertInto("memberships").values(row).execute(), "That user is already a member");
}

export function listMembers(db: Conn, orgId: string) {
  return db
    .selectFrom("memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["u.id as user_id", "u.email", "u.name", "m.role", "m.created_at"])
    .where("m.organization_id", "=", orgId)
    .orderBy("m.created_at")
    .execute();
}

export function getMembership(db: Conn, orgId: string, userId: string) {
  return db
    .selectFrom("memberships")
    .selectAll()
    .where("organization_id", "=", orgId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

/** Locks the org's owner memberships, so two concurrent demotions cannot both pass the last-owner check. */
export async function countOwnersForUpdate(db: Conn, orgId: string): Promise<number> {
  const rows = await db
    .selectFrom("memberships")
    .select("user_id")
    .where("organization_id", "=", orgId)
    .where("role", "=", "owner")
    .forUpdate()
    .execute();
  return rows.length;
}

export function setRole(db: Conn, orgId: string, userId: string, role: Role) {
  return db
    .updateTable("memberships")
    .set({ role })
    .where("organization_id", "=", orgId)
    .where("user_id", "=", userId)
    .execute();
}

export function deleteMembership(db: Conn, orgId: string, userId: string) {
  return db
    .deleteFrom("memberships")
    .where("organization_id", "=", orgId)
    .where("user_id", "=", userId)
    .execute();
}

export function deleteUserSessionsInOrg(db: Conn, orgId: string, userId: string) {
  return db
    .deleteFrom("sessions")
    .where("organization_id", "=", orgId)
    .where("user_id", "=", userId)
    .execute();
}
