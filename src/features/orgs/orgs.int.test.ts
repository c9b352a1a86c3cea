import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  sessionFor,
  skipReason,
} from "../../../test/helpers/harness.ts";

type ErrorBody = { error: { code: string; message: string; request_id: string } };
interface Org {
  id: string;
  name: string;
  slug: string;
  tier: string;
  created_at: string;
}
interface Member {
  user_id: string;
  email: string;
  name: string;
  role: string;
  joined_at: string;
  initial_password?: string;
}

const newEmail = () => `new-${randomBytes(5).toString("hex")}@example.test`;

describe.skipIf(skipReason)("organization and members", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  const getOrg = (headers: Record<string, string>) =>
    h.inject({ method: "GET", url: "/api/v1/organization", headers });
  const patchOrg = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    h.inject({ method: "PATCH", url: "/api/v1/organization", headers, payload });
  const addMember = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    h.inject({ method: "POST", url: "/api/v1/members", headers, payload });

  it("GET /api/v1/organization returns the caller's org, to any role", async () => {
    const org = await createOrg(h, { tier: "pro", name: "Acme Widgets" });
    const viewer = await org.member("viewer");
    const res = await getOrg(viewer.session);
    expect(res.statusCode, res.body).toBe(200);
    expect(json<Org>(res)).toMatchObject({
      id: org.orgId,
      name: "Acme Widgets",
      slug: org.slug,
      tier: "pro",
    });
    // another org's caller sees its own org, never this one
    const other = await createOrg(h);
    expect(json<Org>(await getOrg(other.owner.session)).id).toBe(other.orgId);
  });

  it("an admin can rename the org", async () => {
    const org = await createOrg(h);
    const admin = await org.member("admin");
    const res = await patchOrg(admin.session, { name: "Renamed Inc" });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<Org>(res).name).toBe("Renamed Inc");
    expect(json<Org>(await getOrg(org.owner.session)).name).toBe("Renamed Inc");
    const audit = await h.deps.db
      .selectFrom("audit_logs")
      .select(["action", "actor_id"])
      .where("organization_id", "=", org.orgId)
      .where("action", "=", "organization.update")
      .execute();
    expect(audit).toEqual([{ action: "organization.update", actor_id: admin.userId }]);
  });

  it("an admin cannot change the tier (403), an owner can", async () => {
    const org = await createOrg(h, { tier: "free" });
    const admin = await org.member("admin");
    const denied = await patchOrg(admin.session, { tier: "enterprise" });
    expect(denied.statusCode).toBe(403);
    expect(json<ErrorBody>(denied).error.code).toBe("forbidden");
    // nothing changed, not even a name sent along with the tier
    const withName = await patchOrg(admin.session, { tier: "enterprise", name: "Sneaky" });
    expect(withName.statusCode).toBe(403);
    expect(json<Org>(await getOrg(org.owner.session))).toMatchObject({
      tier: "free",
      name: expect.any(String),
    });
    expect(json<Org>(await getOrg(org.owner.session)).name).not.toBe("Sneaky");

    const ok = await patchOrg(org.owner.session, { tier: "enterprise" });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json<Org>(ok).tier).toBe("enterprise");
    expect(json<Org>(await getOrg(org.owner.session)).tier).toBe("enterprise");
  });

  it("members and viewers cannot rename the org (403)", async () => {
    const org = await createOrg(h);
    for (const role of ["member", "viewer"] as const) {
      const m = await org.member(role);
      expect((await patchOrg(m.session, { name: "x" })).statusCode).toBe(403);
    }
  });

  it("an owner adds a new member by email; the generated initial password is returned once and works", async () => {
    const org = await createOrg(h);
    const email = newEmail();
    const res = await addMember(org.owner.session, { email, role: "member", name: "New Person" });
    expect(res.statusCode, res.body).toBe(201);
    const m = json<Member>(res);
    expect(m).toMatchObject({ email, role: "member", name: "New Person" });
    expect(typeof m.initial_password).toBe("string");
    expect(m.initial_password?.length ?? 0).toBeGreaterThanOrEqual(12);

    // not stored in the clear, not in the audit log, not shown again
    const user = await h.deps.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", m.user_id)
      .executeTakeFirstOrThrow();
    expect(user.password_hash).not.toContain(m.initial_password);
    const audit = await h.deps.db
      .selectFrom("audit_logs")
      .select("summary")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(JSON.stringify(audit)).not.toContain(m.initial_password);
    const list = await h.inject({ method: "GET", url: "/api/v1/members", headers: org.owner.session });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(m.initial_password);
    const members = json<{ data: Member[] }>(list).data;
    expect(members.map((x) => [x.email, x.role])).toEqual(
      expect.arrayContaining([
        [org.owner.email, "owner"],
        [email, "member"],
      ]),
    );

    // the new user can sign in with it, into this org, as a member
    const login = await h.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email, password: m.initial_password },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(json<{ organization_id: string }>(login).organization_id).toBe(org.orgId);
  });

  it("adding with a chosen password returns no initial_password, and that password works", async () => {
    const org = await createOrg(h);
    const email = newEmail();
    const password = "a chosen long password";
    const res = await addMember(org.owner.session, { email, role: "viewer", password });
    expect(res.statusCode, res.body).toBe(201);
    expect(json<Member>(res)).not.toHaveProperty("initial_password");
    const login = await h.inject({ method: "POST", url: "/api/v1/auth/login", payload: { email, password } });
    expect(login.statusCode).toBe(200);
  });

  it("adding an existing user from another org keeps their password and gives no initial_password", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    const res = await addMember(b.owner.session, { email: a.owner.email.toUpperCase(), role: "admin" });
    expect(res.statusCode, res.body).toBe(201);
    const m = json<Member>(res);
    expect(m.user_id).toBe(a.owner.userId);
    expect(m).not.toHaveProperty("initial_password");
    const login = await h.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: a.owner.email, password: "correct horse battery staple" },
    });
    expect(login.statusCode).toBe(200);
  });

  it("adding the same member twice is 409", async () => {
    const org = await createOrg(h);
    const email = newEmail();
    expect((await addMember(org.owner.session, { email, role: "member" })).statusCode).toBe(201);
    const dup = await addMember(org.owner.session, { email, role: "admin" });
    expect(dup.statusCode).toBe(409);
    expect(json<ErrorBody>(dup).error.code).toBe("conflict");
    // adding the owner themself is also a duplicate
    const self = await addMember(org.owner.session, { email: org.owner.email, role: "viewer" });
    expect(self.statusCode).toBe(409);
    // the first membership is unchanged
    const members = json<{ data: Member[] }>(
      await h.inject({ method: "GET", url: "/api/v1/members", headers: org.owner.session }),
    ).data;
    expect(members.find((x) => x.email === email)?.role).toBe("member");
    expect(members.find((x) => x.email === org.owner.email)?.role).toBe("owner");
  });

  it("an owner changes a member's role, and the new role applies to their session", async () => {
    const org = await createOrg(h);
    const m = await org.member("member");
    expect((await h.inject({ method: "GET", url: "/api/v1/api-keys", headers: m.session })).statusCode).toBe(
      403,
    );
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/members/${m.userId}`,
      headers: org.owner.session,
      payload: { role: "admin" },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<Member>(res)).toMatchObject({ user_id: m.userId, role: "admin" });
    expect((await h.inject({ method: "GET", url: "/api/v1/api-keys", headers: m.session })).statusCode).toBe(
      200,
    );
  });

  it("changing the role of someone who is not a member is 404", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    const res = await h.inject({
      method: "PATCH",
      url: `/api/v1/members/${other.owner.userId}`,
      headers: org.owner.session,
      payload: { role: "viewer" },
    });
    expect(res.statusCode).toBe(404);
    // and the other org's owner is untouched
    const role = await h.deps.db
      .selectFrom("memberships")
      .select("role")
      .where("organization_id", "=", other.orgId)
      .where("user_id", "=", other.owner.userId)
      .executeTakeFirst();
    expect(role?.role).toBe("owner");
  });

  it("demoting or removing the last owner is 409; with a second owner it works", async () => {
    const org = await createOrg(h);
    const demote = await h.inject({
      method: "PATCH",
      url: `/api/v1/members/${org.owner.userId}`,
      headers: org.owner.session,
      payload: { role: "admin" },
    });
    expect(demote.statusCode).toBe(409);
    expect(json<ErrorBody>(demote).error.code).toBe("conflict");
    const remove = await h.inject({
      method: "DELETE",
      url: `/api/v1/members/${org.owner.userId}`,
      headers: org.owner.session,
    });
    expect(remove.statusCode).toBe(409);
    const still = await h.deps.db
      .selectFrom("memberships")
      .select("role")
      .where("organization_id", "=", org.orgId)
      .where("user_id", "=", org.owner.userId)
      .executeTakeFirst();
    expect(still?.role).toBe("owner");

    const second = await org.member("owner");
    const ok = await h.inject({
      method: "PATCH",
      url: `/api/v1/members/${org.owner.userId}`,
      headers: second.session,
      payload: { role: "admin" },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    // now `second` is the last owner
    const last = await h.inject({
      method: "DELETE",
      url: `/api/v1/members/${second.userId}`,
      headers: second.session,
    });
    expect(last.statusCode).toBe(409);
  });

  it("two concurrent demotions of the only two owners leave one owner", async () => {
    const org = await createOrg(h);
    const second = await org.member("owner");
    // both through the org's all-scopes key, so neither request loses its own permission mid-race
    const [r1, r2] = await Promise.all([
      h.inject({
        method: "PATCH",
        url: `/api/v1/members/${org.owner.userId}`,
        headers: org.key,
        payload: { role: "member" },
      }),
      h.inject({
        method: "PATCH",
        url: `/api/v1/members/${second.userId}`,
        headers: org.key,
        payload: { role: "member" },
      }),
    ]);
    expect([r1?.statusCode, r2?.statusCode].sort()).toEqual([200, 409]);
    const owners = await h.deps.db
      .selectFrom("memberships")
      .select("user_id")
      .where("organization_id", "=", org.orgId)
      .where("role", "=", "owner")
      .execute();
    expect(owners).toHaveLength(1);
  });

  it("an admin cannot manage members (403)", async () => {
    const org = await createOrg(h);
    const admin = await org.member("admin");
    const m = await org.member("member");
    const add = await addMember(admin.session, { email: newEmail(), role: "member" });
    expect(add.statusCode).toBe(403);
    const change = await h.inject({
      method: "PATCH",
      url: `/api/v1/members/${m.userId}`,
      headers: admin.session,
      payload: { role: "admin" },
    });
    expect(change.statusCode).toBe(403);
    const remove = await h.inject({
      method: "DELETE",
      url: `/api/v1/members/${m.userId}`,
      headers: admin.session,
    });
    expect(remove.statusCode).toBe(403);
    // but can read them
    const list = await h.inject({ method: "GET", url: "/api/v1/members", headers: admin.session });
    expect(list.statusCode).toBe(200);
    const roles = json<{ data: Member[] }>(list).data.find((x) => x.user_id === m.userId)?.role;
    expect(roles).toBe("member");
  });

  it("removing a member (204) ends their session in that org, but not elsewhere", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    const m = await org.member("member");
    await h.deps.db
      .insertInto("memberships")
      .values({ organization_id: other.orgId, user_id: m.userId, role: "viewer" })
      .execute();
    const elsewhere = await sessionFor(h.deps, m.userId, other.orgId);
    expect((await getOrg(m.session)).statusCode).toBe(200);

    const res = await h.inject({
      method: "DELETE",
      url: `/api/v1/members/${m.userId}`,
      headers: org.owner.session,
    });
    expect(res.statusCode, res.body).toBe(204);
    const after = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: m.session });
    expect(after.statusCode).toBe(401);
    expect((await h.inject({ method: "GET", url: "/api/v1/me", headers: m.session })).statusCode).toBe(401);
    // the membership is gone
    const members = json<{ data: Member[] }>(
      await h.inject({ method: "GET", url: "/api/v1/members", headers: org.owner.session }),
    ).data;
    expect(members.map((x) => x.user_id)).not.toContain(m.userId);
    // the session in the other org survives
    const o = await getOrg(elsewhere);
    expect(o.statusCode).toBe(200);
    expect(json<Org>(o).id).toBe(other.orgId);
    // removing again is 404
    const again = await h.inject({
      method: "DELETE",
      url: `/api/v1/members/${m.userId}`,
      headers: org.owner.session,
    });
    expect(again.statusCode).toBe(404);
  });

  it("removing a member revokes the API keys they created in that org, at once and audited", async () => {
    const org = await createOrg(h);
    const admin = await org.member("admin");
    const created = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: admin.session,
      payload: { name: "admin's key", scopes: ["prompts:read"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = json<{ id: string; key: string }>(created);
    const asKey = { authorization: `Bearer ${key.key}` };
    expect((await h.inject({ method: "GET", url: "/api/v1/prompts", headers: asKey })).statusCode).toBe(200);
    const res = await h.inject({
      method: "DELETE",
      url: `/api/v1/members/${admin.userId}`,
      headers: org.owner.session,
    });
    expect(res.statusCode).toBe(204);
    expect((await h.inject({ method: "GET", url: "/api/v1/prompts", headers: asKey })).statusCode).toBe(401);
    // the owner's own key is untouched
    expect((await h.inject({ method: "GET", url: "/api/v1/prompts", headers: org.key })).statusCode).toBe(
      200,
    );
    const rows = await h.deps.db
      .selectFrom("audit_logs")
      .select(["action", "resource_id"])
      .where("request_id", "=", String(res.headers["x-request-id"]))
      .execute();
    expect(rows).toContainEqual({ action: "api_key.revoke", resource_id: key.id });
  });

  it("validates the add-member body (bad email, bad role, short password → 400)", async () => {
    const org = await createOrg(h);
    for (const payload of [
      { email: "not-an-email", role: "member" },
      { email: newEmail(), role: "superuser" },
      { email: newEmail(), role: "member", password: "short" },
    ]) {
      const res = await addMember(org.owner.session, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });
});
