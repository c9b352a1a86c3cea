import type { Deps } from "../../deps.ts";
import { hashPassword, randomToken } from "../../lib/crypto.ts";
import { type Db, inTransaction } from "../../lib/db.ts";
import type { Role } from "../../lib/db-types.ts";
import { AppError, conflict, notFound } from "../../lib/errors.ts";
import { newId } from "../../lib/ids.ts";
import { audit } from "../audit/service.ts";
import { type Ctx, requirePermission } from "../auth/actor.ts";
import { revokeKeysOfDepartedMember } from "../keys/service.ts";
import * as q from "./queries.ts";

export type Tier = "free" | "pro" | "enterprise";

export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/[\s_]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 48);
  return s || "org";
}

const orgView = (o: { id: string; name: string; slug: string; tier: Tier; created_at: Date }) => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  tier: o.tier,
  created_at: new Date(o.created_at).toISOString(),
});

/**
 * Bootstrap path (CLI and first start): an org, optionally with its first owner. Audited as the system.
 */
export async function createOrgWithOwner(
  db: Db,
  input: {
    name: string;
    slug?: string;
    tier?: Tier;
    owner?: { email: string; name?: string; password: string };
  },
) {
  const orgId = newId("org");
  const slug = input.slug ?? slugify(input.name);
  const passwordHash = input.owner ? await hashPassword(input.owner.password) : null;
  return inTransaction(db, async (tx) => {
    await q.insertOrg(tx, { id: orgId, name: input.name, slug, tier: input.tier ?? "free" });
    await audit(
      tx,
      { system: true },
      {
        action: "organization.create",
        resourceType: "organization",
        resourceId: orgId,
        orgId,
        summary: { name: input.name, slug, tier: input.tier ?? "free" },
      },
    );
    let userId: string | null = null;
    if (input.owner) {
      const existing = await q.findUserByEmail(tx, input.owner.email);
      userId = existing?.id ?? newId("user");
      if (!existing) {
        await q.insertUser(tx, {
          id: userId,
          email: input.owner.email,
          name: input.owner.name ?? "",
          password_hash: passwordHash,
        });
        await audit(
          tx,
          { system: true },
          {
            action: "user.create",
            resourceType: "user",
            resourceId: userId,
            orgId,
            summary: { email: input.owner.email },
          },
        );
      }
      await q.insertMembership(tx, { organization_id: orgId, user_id: userId, role: "owner" });
      await audit(
        tx,
        { system: true },
        {
          action: "membership.create",
          resourceType: "membership",
          resourceId: userId,
          orgId,
          summary: { role: "owner" },
        },
      );
    }
    return { id: orgId, slug, userId };
  });
}

/** Bootstrap path: a user with no membership yet (CLI `create-user`). */
export async function createUser(db: Db, input: { email: string; name?: string; password: string }) {
  const id = newId("user");
  const passwordHash = await hashPassword(input.password);
  await inTransaction(db, async (tx) => {
    await q.insertUser(tx, { id, email: input.email, name: input.name ?? "", password_hash: passwordHash });
    await audit(
      tx,
      { system: true },
      { action: "user.create", resourceType: "user", resourceId: id, summary: { email: input.email } },
    );
  });
  return { id };
}

export async function getCurrentOrg(deps: Deps, ctx: Ctx) {
  const org = await q.getOrg(deps.db, ctx.actor.orgId);
  if (!org) throw notFound("Organization");
  return orgView(org);
}

export async function updateCurrentOrg(deps: Deps, ctx: Ctx, input: { name?: string; tier?: Tier }) {
  if (input.tier !== undefined) requirePermission(ctx.actor, "billing:manage");
  return inTransaction(deps.db, async (tx) => {
    const before = await q.getOrg(tx, ctx.actor.orgId);
    if (!before) throw notFound("Organization");
    const after = await q.updateOrg(tx, ctx.actor.orgId, { ...input, updated_at: deps.clock.now() });
    await audit(tx, ctx, {
      action: "organization.update",
      resourceType: "organization",
      resourceId: after.id,
      summary: {
        before: { name: before.name, tier: before.tier },
        after: { name: after.name, tier: after.tier },
      },
    });
    if (input.tier !== undefined) deps.keyCache.invalidateOrg(after.id);
    return orgView(after);
  });
}

const memberView = (m: { user_id: string; email: string; name: string; role: Role; created_at: Date }) => ({
  user_id: m.user_id,
  email: m.email,
  name: m.name,
  role: m.role,
  joined_at: new Date(m.created_at).toISOString(),
});

export async function listMembers(deps: Deps, ctx: Ctx) {
  return (await q.listMembers(deps.db, ctx.actor.orgId)).map(memberView);
}

/**
 * Add a member by email. An unknown email gets a new user; without a password given, one is generated
 * and returned once (initial_password) for the owner to pass on.
 */
export async function addMember(
  deps: Deps,
  ctx: Ctx,
  input: { email: string; role: Role; name?: string; password?: string },
) {
  const existing = await q.findUserByEmail(deps.db, input.email);
  const generated = !existing && !input.password ? randomToken(12) : undefined;
  const passwordHash = existing ? null : await hashPassword(input.password ?? generated ?? "");
  return inTransaction(deps.db, async (tx) => {
    let userId = existing?.id;
    if (!userId) {
      userId = newId("user");
      await q.insertUser(tx, {
        id: userId,
        email: input.email,
        name: input.name ?? "",
        password_hash: passwordHash,
      });
      await audit(tx, ctx, {
        action: "user.create",
        resourceType: "user",
        resourceId: userId,
        summary: { email: input.email },
      });
    }
    await q.insertMembership(tx, { organization_id: ctx.actor.orgId, user_id: userId, role: input.role });
    await audit(tx, ctx, {
      action: "membership.create",
      resourceType: "membership",
      resourceId: userId,
      summary: { email: input.email, role: input.role },
    });
    const m = await q.getMembership(tx, ctx.actor.orgId, userId);
    return {
      user_id: userId,
      email: existing?.email ?? input.email,
      name: existing?.name ?? input.name ?? "",
      role: input.role,
      joined_at: new Date(m?.created_at ?? deps.clock.now()).toISOString(),
      ...(generated ? { initial_password: generated } : {}),
    };
  });
}

export async function changeRole(deps: Deps, ctx: Ctx, userId: string, role: Role) {
  return inTransaction(deps.db, async (tx) => {
    const m = await q.getMembership(tx, ctx.actor.orgId, userId);
    if (!m) throw notFound("Member");
    if (m.role === "owner" && role !== "owner" && (await q.countOwnersForUpdate(tx, ctx.actor.orgId)) <= 1) {
      throw conflict("An organization needs at least one owner; promote another member first");
    }
    await q.setRole(tx, ctx.actor.orgId, userId, role);
    await audit(tx, ctx, {
      action: "membership.update",
      resourceType: "membership",
      resourceId: userId,
      summary: { before: { role: m.role }, after: { role } },
    });
    const members = await q.listMembers(tx, ctx.actor.orgId);
    const updated = members.find((x) => x.user_id === userId);
    if (!updated) throw new AppError("internal", "member vanished");
    return memberView(updated);
  });
}

export async function removeMember(deps: Deps, ctx: Ctx, userId: string) {
  const revokedKeys = await inTransaction(deps.db, async (tx) => {
    const m = await q.getMembership(tx, ctx.actor.orgId, userId);
    if (!m) throw notFound("Member");
    if (m.role === "owner" && (await q.countOwnersForUpdate(tx, ctx.actor.orgId)) <= 1) {
      throw conflict("Cannot remove the last owner of an organization");
    }
    await q.deleteMembership(tx, ctx.actor.orgId, userId);
    await q.deleteUserSessionsInOrg(tx, ctx.actor.orgId, userId);
    const keys = await revokeKeysOfDepartedMember(tx, ctx, userId, deps.clock.now());
    await audit(tx, ctx, {
      action: "membership.delete",
      resourceType: "membership",
      resourceId: userId,
      summary: { role: m.role, api_keys_revoked: keys.length },
    });
    return keys;
  });
  for (const keyId of revokedKeys) deps.keyCache.invalidateKeyId(keyId);
}
