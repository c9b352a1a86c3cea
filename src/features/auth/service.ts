import type { Deps } from "../../deps.ts";
import { isWellFormedApiKey, randomToken, sha256Hex, verifyPassword } from "../../lib/crypto.ts";
import { inTransaction } from "../../lib/db.ts";
import { AppError } from "../../lib/errors.ts";
import { audit } from "../audit/service.ts";
import type { Actor, Ctx, RequestMeta } from "./actor.ts";
import { permissions as allPermissions, type Permission, rolePermissions } from "./permissions.ts";
import * as q from "./queries.ts";

const KNOWN = new Set<string>(allPermissions);
/** Write last_used_at at most this often per key, so verification stays read-only on the hot path. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

type Tier = Actor["orgTier"];
type MemberRole = NonNullable<Actor["role"]>;

/** A signed-in user's actor; with no org (orgId "") it holds no permissions, so org routes answer 403. */
function userActor(
  userId: string,
  org: { id: string; tier: Tier; role: MemberRole } | null,
  sessionId: string | null,
): Actor {
  return {
    kind: "user",
    id: userId,
    userId,
    apiKeyId: null,
    orgId: org?.id ?? "",
    orgTier: org?.tier ?? "free",
    role: org?.role ?? null,
    permissions: org ? rolePermissions[org.role] : new Set(),
    sessionId,
  };
}

/** An API key's actor: its scopes (the known ones) are its permissions. */
function keyActor(k: {
  keyId: string;
  orgId: string;
  orgTier: Tier;
  userId: string | null;
  scopes: string[];
}): Actor {
  return {
    kind: "api_key",
    id: k.keyId,
    userId: k.userId,
    apiKeyId: k.keyId,
    orgId: k.orgId,
    orgTier: k.orgTier,
    role: null,
    permissions: new Set(k.scopes.filter((s): s is Permission => KNOWN.has(s))),
    sessionId: null,
  };
}

const invalidCredentials = () => new AppError("unauthenticated", "Invalid email or password");

/**
 * A dummy scrypt hash, verified when the email is unknown so that login takes the same time
 * whether or not the account exists.
 */
const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export async function login(
  deps: Deps,
  meta: RequestMeta,
  input: { email: string; password: string },
): Promise<{ token: string; expiresAt: Date; userId: string; orgId: string | null }> {
  const user = await q.findUserByEmail(deps.db, input.email);
  const ok = await verifyPassword(input.password, user?.password_hash ?? DUMMY_HASH);
  if (!user?.password_hash || !ok) throw invalidCredentials();
  const token = randomToken(32);
  const sessionId = sha256Hex(token);
  const expiresAt = new Date(deps.clock.now().getTime() + deps.config.LECTERN_SESSION_TTL_HOURS * 3_600_000);
  const membership = await q.firstMembership(deps.db, user.id);
  const orgId = membership?.organization_id ?? null;
  await inTransaction(deps.db, async (tx) => {
    await q.insertSession(tx, {
      id: sessionId,
      user_id: user.id,
      organization_id: orgId,
      expires_at: expiresAt,
      ip: meta.ip,
      user_agent: meta.userAgent,
    });
    await audit(
      tx,
      { system: true, requestId: meta.requestId },
      {
        action: "session.login",
        resourceType: "session",
        resourceId: null,
        orgId,
        summary: { user_id: user.id, ip: meta.ip },
      },
    );
  });
  return { token, expiresAt, userId: user.id, orgId };
}

export async function logout(deps: Deps, ctx: Ctx): Promise<void> {
  if (!ctx.actor.sessionId) return;
  const sessionId = ctx.actor.sessionId;
  await inTransaction(deps.db, async (tx) => {
    await q.deleteSession(tx, sessionId);
    await audit(tx, ctx, { action: "session.logout", resourceType: "session", resourceId: null });
  });
}

export async function switchOrg(deps: Deps, ctx: Ctx, orgId: string): Promise<void> {
  if (!ctx.actor.sessionId || !ctx.actor.userId) {
    throw new AppError(
      "forbidden",
      "Only a browser session can switch organizations; an API key belongs to one",
    );
  }
  const userId = ctx.actor.userId;
  const sessionId = ctx.actor.sessionId;
  const memberships = await q.membershipsOf(deps.db, userId);
  if (!memberships.some((m) => m.id === orgId)) throw new AppError("not_found", "Organization not found");
  await inTransaction(deps.db, async (tx) => {
    await q.setSessionOrg(tx, sessionId, orgId);
    await audit(
      tx,
      { ...ctx, actor: { ...ctx.actor, orgId } },
      {
        action: "session.switch_org",
        resourceType: "session",
        resourceId: null,
      },
    );
  });
}

/** The request's credentials → actor: a Bearer API key, else the session cookie; null when neither is valid. */
export async function actorFromRequest(
  deps: Deps,
  headers: { authorization?: string | undefined },
  sessionToken: string | undefined,
): Promise<Actor | null> {
  if (headers.authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization);
    return m?.[1] ? actorFromApiKey(deps, m[1]) : null;
  }
  return sessionToken ? actorFromSession(deps, sessionToken) : null;
}

/** Resolve a session cookie's token to an actor, or null when it is unknown, expired or has no org. */
export async function actorFromSession(deps: Deps, token: string): Promise<Actor | null> {
  const sessionId = sha256Hex(token);
  const s = await q.findSession(deps.db, sessionId);
  if (!s || new Date(s.expires_at).getTime() <= deps.clock.now().getTime()) return null;
  // A user with no org can still sign in, see /me and log out.
  const org =
    s.organization_id && s.role && s.tier ? { id: s.organization_id, tier: s.tier, role: s.role } : null;
  return userActor(s.user_id, org, sessionId);
}

/** Verify an API key: offline checksum first, then the cache, then one indexed lookup. */
export async function actorFromApiKey(deps: Deps, key: string): Promise<Actor | null> {
  if (!isWellFormedApiKey(key)) return null;
  const hash = sha256Hex(key);
  const now = deps.clock.now().getTime();
  let cached = deps.keyCache.get(hash, now);
  if (!cached) {
    const row = await q.findKeyByHash(deps.db, hash);
    if (!row || row.revoked_at) return null;
    cached = {
      keyId: row.id,
      orgId: row.organization_id,
      orgTier: row.tier,
      userId: row.created_by_user_id,
      scopes: row.scopes,
      expiresAt: row.expires_at ? new Date(row.expires_at) : null,
      lastUsedWrittenAt: 0,
    };
    deps.keyCache.set(hash, cached, now);
  }
  if (cached.expiresAt && cached.expiresAt.getTime() <= now) return null;
  if (now - cached.lastUsedWrittenAt >= LAST_USED_WRITE_INTERVAL_MS) {
    cached.lastUsedWrittenAt = now;
    const keyId = cached.keyId;
    // Off the request's critical path: a lost update only makes last_used_at a minute staler.
    q.touchKey(deps.db, keyId, new Date(now)).catch((err) =>
      deps.log.warn({ err, keyId }, "could not update last_used_at"),
    );
  }
  return keyActor(cached);
}

export async function me(deps: Deps, ctx: Ctx) {
  const userId = ctx.actor.userId;
  const user = userId ? await q.getUser(deps.db, userId) : undefined;
  const orgs = userId && ctx.actor.kind === "user" ? await q.membershipsOf(deps.db, userId) : [];
  return {
    actor: { kind: ctx.actor.kind, id: ctx.actor.id },
    user: user ?? null,
    organization_id: ctx.actor.orgId || null,
    role: ctx.actor.role,
    permissions: [...ctx.actor.permissions].sort(),
    organizations: orgs,
  };
}

/** Who started a background job, stored in its payload; re-resolved when the job runs. */
export interface ActorSnapshot {
  kind: "user" | "api_key";
  id: string;
  orgId: string;
}

export const snapshotActor = (a: Actor): ActorSnapshot => ({ kind: a.kind, id: a.id, orgId: a.orgId });

/**
 * The actor a job acts as, resolved afresh when it runs (and again on every retry): a member who left, or a
 * key revoked or expired since, no longer runs anything. Throws a `forbidden` AppError then.
 */
export async function actorForJob(deps: Deps, snap: ActorSnapshot): Promise<Actor> {
  if (snap.kind === "api_key") {
    const row = await q.findKeyInOrg(deps.db, snap.orgId, snap.id);
    const expired = row?.expires_at && new Date(row.expires_at).getTime() <= deps.clock.now().getTime();
    if (!row || row.revoked_at || expired)
      throw new AppError("forbidden", "The API key that started this job is no longer valid");
    return keyActor({
      keyId: row.id,
      orgId: row.organization_id,
      orgTier: row.tier,
      userId: row.created_by_user_id,
      scopes: row.scopes,
    });
  }
  const m = await q.membershipWithTier(deps.db, snap.orgId, snap.id);
  if (!m) throw new AppError("forbidden", "The member who started this job has left the organization");
  return userActor(snap.id, { id: snap.orgId, tier: m.tier, role: m.role }, null);
}

/** The Ctx a job's work runs under: the re-resolved actor, and the job as the "request" in audit rows. */
export async function ctxForJob(deps: Deps, snap: ActorSnapshot, jobId: string): Promise<Ctx> {
  return {
    actor: await actorForJob(deps, snap),
    meta: { requestId: `job:${jobId}`, ip: null, userAgent: "lectern-worker" },
  };
}
