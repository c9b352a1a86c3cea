import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHarness, createOrg, type Harness, json, skipReason } from "../../../test/helpers/harness.ts";
import { fixedClock } from "../../lib/clock.ts";
import { generateApiKey } from "../../lib/crypto.ts";

type ErrorBody = { error: { code: string; message: string; request_id: string; details?: unknown } };
interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_by_user_id: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

const KEY_RE = /^lk_[0-9A-Za-z]{38}$/;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.skipIf(skipReason)("API keys", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  async function createKey(
    headers: Record<string, string>,
    body: { name?: string; scopes?: string[]; expires_at?: string } = {},
  ) {
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers,
      payload: { name: "ci", ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<KeyView & { key: string }>(res);
  }

  it("creates a key (201) shown once, in lk_ format, never returned by list or get", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: org.owner.session,
      payload: { name: "deploy bot", scopes: ["prompts:read", "executions:run"] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = json<KeyView & { key: string }>(res);
    expect(created.key).toMatch(KEY_RE);
    expect(created.name).toBe("deploy bot");
    expect(created.scopes).toEqual(["executions:run", "prompts:read"]);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.prefix.length).toBeLessThan(created.key.length / 2);
    expect(created.created_by_user_id).toBe(org.owner.userId);
    expect(created.revoked_at).toBeNull();

    const list = await h.inject({ method: "GET", url: "/api/v1/api-keys", headers: org.owner.session });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(created.key);
    const listed = json<{ data: Array<Record<string, unknown>> }>(list).data;
    const mine = listed.find((k) => k.id === created.id);
    expect(mine).toBeDefined();
    expect(mine).not.toHaveProperty("key");
    expect(mine).not.toHaveProperty("key_hash");
    expect(mine?.prefix).toBe(created.prefix);

    const one = await h.inject({
      method: "GET",
      url: `/api/v1/api-keys/${created.id}`,
      headers: org.owner.session,
    });
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(created.key);
    expect(json(one)).not.toHaveProperty("key");

    // the database holds a hash, not the key
    const row = await h.deps.db
      .selectFrom("api_keys")
      .selectAll()
      .where("id", "=", created.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.key);
    // nor does the audit log
    const audit = await h.deps.db
      .selectFrom("audit_logs")
      .select("summary")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(JSON.stringify(audit)).not.toContain(created.key);
  });

  it("the created key works as a Bearer token, acting in the creator's org", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session, { scopes: ["prompts:read", "org:read"] });
    const res = await h.inject({ method: "GET", url: "/api/v1/organization", headers: bearer(k.key) });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<{ id: string }>(res).id).toBe(org.orgId);
    const me = json<{ actor: { kind: string; id: string }; permissions: string[] }>(
      await h.inject({ method: "GET", url: "/api/v1/me", headers: bearer(k.key) }),
    );
    expect(me.actor).toEqual({ kind: "api_key", id: k.id });
    expect(me.permissions).toEqual(["org:read", "prompts:read"]);
  });

  it("without scopes a key gets the member defaults the creator holds", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session);
    expect(k.scopes).toEqual(
      ["executions:read", "executions:run", "models:read", "prompts:read", "prompts:write"].sort(),
    );
  });

  it("a key with only prompts:read can list prompts (200) but not create one (403)", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session, { scopes: ["prompts:read"] });
    const get = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) });
    expect(get.statusCode, get.body).toBe(200);
    const post = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: bearer(k.key),
      payload: { name: "p" },
    });
    expect(post.statusCode).toBe(403);
    const body = json<ErrorBody>(post);
    expect(body.error.code).toBe("forbidden");
    expect(body.error.message).toContain("prompts:write");
    // the prompt was not created
    const n = await h.deps.db
      .selectFrom("prompts")
      .select("id")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(n).toHaveLength(0);
  });

  it("refuses to grant scopes beyond the creator's role (admin → members:manage is 403)", async () => {
    const org = await createOrg(h);
    const admin = await org.member("admin");
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: admin.session,
      payload: { name: "escalate", scopes: ["prompts:read", "members:manage"] },
    });
    expect(res.statusCode).toBe(403);
    const body = json<ErrorBody>(res);
    expect(body.error.code).toBe("forbidden");
    expect(body.error.message).toContain("members:manage");
    const keys = await h.deps.db
      .selectFrom("api_keys")
      .select("name")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(keys.map((k) => k.name)).not.toContain("escalate");
    // what the admin does hold is fine
    const ok = await createKey(admin.session, { scopes: ["prompts:read", "keys:manage"] });
    expect(ok.scopes).toEqual(["keys:manage", "prompts:read"]);
  });

  it("a key cannot mint a key with more scopes than it has", async () => {
    const org = await createOrg(h);
    const limited = await createKey(org.owner.session, { scopes: ["keys:manage", "prompts:read"] });
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: bearer(limited.key),
      payload: { name: "wider", scopes: ["prompts:write"] },
    });
    expect(res.statusCode).toBe(403);
  });

  it("members and viewers cannot create keys (403)", async () => {
    const org = await createOrg(h);
    for (const role of ["member", "viewer"] as const) {
      const m = await org.member(role);
      const res = await h.inject({
        method: "POST",
        url: "/api/v1/api-keys",
        headers: m.session,
        payload: { name: "x" },
      });
      expect(res.statusCode).toBe(403);
    }
  });

  it("an unknown scope is a 400", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: org.owner.session,
      payload: { name: "x", scopes: ["everything:all"] },
    });
    expect(res.statusCode).toBe(400);
  });

  it("an expiry in the past is a 400 naming body.expires_at", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: org.owner.session,
      payload: { name: "old", expires_at: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(res.statusCode).toBe(400);
    const body = json<{ error: { code: string; details: Array<{ path: string }> } }>(res);
    expect(body.error.details.map((d) => d.path)).toContain("body.expires_at");
    const keys = await h.deps.db
      .selectFrom("api_keys")
      .select("name")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(keys.map((k) => k.name)).not.toContain("old");
  });

  it("a key whose expires_at has passed is refused (401)", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session, {
      scopes: ["prompts:read"],
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const first = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) });
    expect(first.statusCode, first.body).toBe(200);
    await h.deps.db
      .updateTable("api_keys")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", k.id)
      .execute();
    h.deps.keyCache.invalidateKeyId(k.id);
    const after = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) });
    expect(after.statusCode).toBe(401);
    expect(json<ErrorBody>(after).error.code).toBe("unauthenticated");
  });

  it("revoking a key (DELETE) makes it 401 at once, and the list shows revoked_at", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session, { scopes: ["prompts:read"] });
    // used once, so it sits in the verification cache
    expect(
      (await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) })).statusCode,
    ).toBe(200);
    const del = await h.inject({
      method: "DELETE",
      url: `/api/v1/api-keys/${k.id}`,
      headers: org.owner.session,
    });
    expect(del.statusCode, del.body).toBe(200);
    expect(json<KeyView>(del).revoked_at).not.toBeNull();
    const after = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) });
    expect(after.statusCode).toBe(401);
    const list = json<{ data: KeyView[] }>(
      await h.inject({ method: "GET", url: "/api/v1/api-keys", headers: org.owner.session }),
    );
    const row = list.data.find((x) => x.id === k.id);
    expect(row?.revoked_at).toEqual(expect.any(String));
    expect(Number.isNaN(new Date(row?.revoked_at ?? "").getTime())).toBe(false);
    // revoking again is harmless and keeps the first revocation time
    const again = await h.inject({
      method: "DELETE",
      url: `/api/v1/api-keys/${k.id}`,
      headers: org.owner.session,
    });
    expect(again.statusCode).toBe(200);
    expect(json<KeyView>(again).revoked_at).toBe(row?.revoked_at);
  });

  it("another org cannot see or revoke a key (404)", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    const k = await createKey(a.owner.session, { scopes: ["prompts:read"] });
    const get = await h.inject({ method: "GET", url: `/api/v1/api-keys/${k.id}`, headers: b.owner.session });
    expect(get.statusCode).toBe(404);
    const del = await h.inject({
      method: "DELETE",
      url: `/api/v1/api-keys/${k.id}`,
      headers: b.owner.session,
    });
    expect(del.statusCode).toBe(404);
    expect(
      (await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) })).statusCode,
    ).toBe(200);
  });

  it("sets last_used_at after the key is used", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session, { scopes: ["prompts:read"] });
    expect(k.last_used_at).toBeNull();
    const before = Date.now();
    expect(
      (await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) })).statusCode,
    ).toBe(200);
    // written off the request path, so wait for it to land
    await vi.waitFor(
      async () => {
        const row = json<KeyView>(
          await h.inject({ method: "GET", url: `/api/v1/api-keys/${k.id}`, headers: org.owner.session }),
        );
        expect(row.last_used_at).not.toBeNull();
        expect(new Date(row.last_used_at ?? 0).getTime()).toBeGreaterThanOrEqual(before - 1000);
      },
      { timeout: 5000, interval: 20 },
    );
  });

  it("a malformed key, a key with a bad checksum, and an unknown well-formed key are 401", async () => {
    const org = await createOrg(h);
    const k = await createKey(org.owner.session, { scopes: ["prompts:read"] });
    const last = k.key.slice(-1);
    const badChecksum = k.key.slice(0, -1) + (last === "a" ? "b" : "a");
    const badBody = `${k.key.slice(0, 5)}${k.key[5] === "Z" ? "Y" : "Z"}${k.key.slice(6)}`;
    for (const key of ["lk_short", "sk-not-ours", `${k.key}x`, badChecksum, badBody, generateApiKey()]) {
      const res = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(key) });
      expect(res.statusCode, key).toBe(401);
      expect(json<ErrorBody>(res).error.code).toBe("unauthenticated");
    }
    // the real one still works
    expect(
      (await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(k.key) })).statusCode,
    ).toBe(200);
  });

  it("a garbage Authorization header is 401, even next to a valid session cookie", async () => {
    const org = await createOrg(h);
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "lk_x", "Token abc"]) {
      const res = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      const withCookie = await h.inject({
        method: "GET",
        url: "/api/v1/prompts",
        headers: { authorization, ...org.owner.session },
      });
      expect(withCookie.statusCode, authorization).toBe(401);
    }
  });
});

describe.skipIf(skipReason)("API keys on a fake clock", () => {
  const clock = fixedClock(new Date());
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({}, { clock });
  });
  afterAll(async () => h?.close());

  it("a cached key stops working once its expires_at passes", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: org.owner.session,
      payload: {
        name: "short",
        scopes: ["prompts:read"],
        expires_at: new Date(clock.now().getTime() + 60_000).toISOString(),
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { key } = json<{ key: string }>(res);
    expect((await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(key) })).statusCode).toBe(
      200,
    );
    clock.advance(30_000);
    expect((await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(key) })).statusCode).toBe(
      200,
    );
    clock.advance(31_000);
    expect((await h.inject({ method: "GET", url: "/api/v1/prompts", headers: bearer(key) })).statusCode).toBe(
      401,
    );
  });
});
