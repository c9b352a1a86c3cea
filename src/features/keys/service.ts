import type { Deps } from "../../deps.ts";
import { apiKeyDisplayPrefix, generateApiKey, sha256Hex } from "../../lib/crypto.ts";
import { type Conn, type Db, inTransaction } from "../../lib/db.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { newId } from "../../lib/ids.ts";
import { audit } from "../audit/service.ts";
import type { Ctx } from "../auth/actor.ts";
import { defaultKeyScopes, type Permission, permissions } from "../auth/permissions.ts";
import * as q from "./queries.ts";

type KeyRow = Awaited<ReturnType<typeof q.listKeys>>[number];

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

export const keyView = (k: KeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  created_by_user_id: k.created_by_user_id,
  expires_at: iso(k.expires_at),
  last_used_at: iso(k.last_used_at),
  revoked_at: iso(k.revoked_at),
  created_at: iso(k.created_at) ?? "",
});

async function insertNewKey(
  tx: Conn,
  orgId: string,
  userId: string | null,
  input: { name: string; scopes: string[]; expiresAt: Date | null },
) {
  const key = generateApiKey();
  const row = await q.insertKey(tx, {
    id: newId("key"),
    organization_id: orgId,
    name: input.name,
    prefix: apiKeyDisplayPrefix(key),
    key_hash: sha256Hex(key),
    scopes: input.scopes,
    created_by_user_id: userId,
    expires_at: input.expiresAt,
  });
  return { key, row };
}

/** Create a key; its scopes may not exceed the caller's own permissions. The secret is returned once, here. */
export async function createKey(
  deps: Deps,
  ctx: Ctx,
  input: { name: string; scopes?: Permission[]; expires_at?: string },
) {
  const scopes = [
    ...new Set(input.scopes ?? defaultKeyScopes.filter((s) => ctx.actor.permissions.has(s))),
  ].sort();
  const excess = scopes.filter((s) => !ctx.actor.permissions.has(s));
  if (excess.length) {
    throw new AppError("forbidden", `You cannot grant scopes you do not hold: ${excess.join(", ")}`, {
      scopes: excess,
    });
  }
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt.getTime() <= deps.clock.now().getTime()) {
    throw new AppError("validation_failed", "expires_at must be in the future", [
      { path: "body.expires_at", message: "must be in the future" },
    ]);
  }
  return inTransaction(deps.db, async (tx) => {
    const { key, row } = await insertNewKey(tx, ctx.actor.orgId, ctx.actor.userId, {
      name: input.name,
      scopes,
      expiresAt,
    });
    await audit(tx, ctx, {
      action: "api_key.create",
      resourceType: "api_key",
      resourceId: row.id,
      summary: { name: row.name, prefix: row.prefix, scopes, expires_at: iso(expiresAt) },
    });
    return { ...keyView(row), key };
  });
}

/** Bootstrap path (first start, CLI): a key for an org's user, audited as the system. */
export async function createKeyForBootstrap(
  db: Db,
  orgId: string,
  userId: string | null,
  name: string,
  scopes: string[] = [...permissions],
) {
  return inTransaction(db, async (tx) => {
    const { key, row } = await insertNewKey(tx, orgId, userId, { name, scopes, expiresAt: null });
    await audit(
      tx,
      { system: true },
      {
        action: "api_key.create",
        resourceType: "api_key",
        resourceId: row.id,
        orgId,
        summary: { name, prefix: row.prefix, scopes },
      },
    );
    return { key, id: row.id };
  });
}

export async function listKeys(deps: Deps, ctx: Ctx) {
  return (await q.listKeys(deps.db, ctx.actor.orgId)).map(keyView);
}

export async function getKey(deps: Deps, ctx: Ctx, keyId: string) {
  const k = await q.getKey(deps.db, ctx.actor.orgId, keyId);
  if (!k) throw notFound("API key");
  return keyView(k);
}

export async function revokeKey(deps: Deps, ctx: Ctx, keyId: string) {
  const result = await inTransaction(deps.db, async (tx) => {
    const existing = await q.getKey(tx, ctx.actor.orgId, keyId);
    if (!existing) throw notFound("API key");
    if (existing.revoked_at) return keyView(existing);
    const revoked = await q.revokeKey(tx, ctx.actor.orgId, keyId, deps.clock.now());
    if (!revoked) throw notFound("API key");
    await audit(tx, ctx, {
      action: "api_key.revoke",
      resourceType: "api_key",
      resourceId: keyId,
      summary: { name: revoked.name, prefix: revoked.prefix },
    });
    return keyView(revoked);
  });
  deps.keyCache.invalidateKeyId(keyId);
  return result;
}

/**
 * When a member leaves an organization, the keys they created stop working too (same transaction as the
 * removal; each revocation audited). Returns the revoked ids so the caller can clear the cache after commit.
 */
export async function revokeKeysOfDepartedMember(
  tx: Conn,
  ctx: Ctx,
  userId: string,
  at: Date,
): Promise<string[]> {
  const revoked = await q.revokeKeysCreatedBy(tx, ctx.actor.orgId, userId, at);
  for (const k of revoked) {
    await audit(tx, ctx, {
      action: "api_key.revoke",
      resourceType: "api_key",
      resourceId: k.id,
      summary: { name: k.name, prefix: k.prefix, reason: "creator removed from the organization" },
    });
  }
  return revoked.map((k) => k.id);
}
