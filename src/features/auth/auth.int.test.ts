import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  sessionFor,
  skipReason,
} from "../../../test/helpers/harness.ts";
import { randomToken, sha256Hex } from "../../lib/crypto.ts";

const PASSWORD = "correct horse battery staple";

type ErrorBody = { error: { code: string; message: string; request_id: string } };

/** The raw Set-Cookie header for the session cookie. */
function sessionSetCookie(res: LightMyRequestResponse): string {
  const raw = res.headers["set-cookie"];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const found = all.find((c) => c.startsWith("lectern_session="));
  if (!found) throw new Error(`no lectern_session cookie in ${JSON.stringify(all)}`);
  return found;
}

/** `lectern_session=<token>` from a login response, as a request header. */
function cookieHeader(res: LightMyRequestResponse): Record<string, string> {
  const pair = sessionSetCookie(res).split(";")[0] ?? "";
  return { cookie: pair };
}

const attrs = (setCookie: string) =>
  setCookie
    .split(";")
    .slice(1)
    .map((a) => a.trim().toLowerCase());

describe.skipIf(skipReason)("auth: login, sessions and org switching", () => {
  let h: Harness;
  let proxied: Harness;
  beforeAll(async () => {
    h = await createHarness();
    proxied = await createHarness({ LECTERN_TRUST_PROXY: "true" });
  });
  afterAll(async () => {
    await h?.close();
    await proxied?.close();
  });

  const login = (harness: Harness, email: string, password: string, headers: Record<string, string> = {}) =>
    harness.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers,
      payload: { email, password },
    });

  it("login sets an HttpOnly, SameSite=Strict, Path=/ session cookie without Secure over plain http", async () => {
    const org = await createOrg(h);
    const before = Date.now();
    const res = await login(h, org.owner.email, PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    const body = json<{ user_id: string; organization_id: string; expires_at: string }>(res);
    expect(body.user_id).toBe(org.owner.userId);
    expect(body.organization_id).toBe(org.orgId);
    // the session lives LECTERN_SESSION_TTL_HOURS (a minute's slack either side)
    const ttlMs = h.config.LECTERN_SESSION_TTL_HOURS * 3_600_000;
    const expiresAt = new Date(body.expires_at).getTime();
    expect(expiresAt).toBeGreaterThan(before + ttlMs - 60_000);
    expect(expiresAt).toBeLessThan(Date.now() + ttlMs + 60_000);

    const setCookie = sessionSetCookie(res);
    const a = attrs(setCookie);
    expect(a).toContain("httponly");
    expect(a).toContain("samesite=strict");
    expect(a).toContain("path=/");
    expect(a).not.toContain("secure");
    // the cookie expires with the session
    const expiresAttr = a.find((x) => x.startsWith("expires="));
    expect(Math.abs(new Date(expiresAttr?.slice(8) ?? "").getTime() - expiresAt)).toBeLessThan(1000);
    // the token is random and long enough not to be guessed
    const token = (setCookie.split(";")[0] ?? "").split("=")[1] ?? "";
    expect(token.length).toBeGreaterThanOrEqual(32);
    // the session row is keyed by the token's hash; the token itself is not stored
    const row = await h.deps.db
      .selectFrom("sessions")
      .selectAll()
      .where("id", "=", sha256Hex(token))
      .executeTakeFirst();
    expect(row?.user_id).toBe(org.owner.userId);
    const stored = await h.deps.db.selectFrom("sessions").select("id").where("id", "=", token).execute();
    expect(stored).toHaveLength(0);
  });

  it("marks the cookie Secure when a trusted proxy says the request came over https", async () => {
    const org = await createOrg(proxied);
    const res = await login(proxied, org.owner.email, PASSWORD, { "x-forwarded-proto": "https" });
    expect(res.statusCode, res.body).toBe(200);
    const a = attrs(sessionSetCookie(res));
    expect(a).toContain("secure");
    expect(a).toContain("httponly");
    expect(a).toContain("samesite=strict");
  });

  it("ignores X-Forwarded-Proto when the proxy is not trusted", async () => {
    const org = await createOrg(h);
    const res = await login(h, org.owner.email, PASSWORD, { "x-forwarded-proto": "https" });
    expect(res.statusCode, res.body).toBe(200);
    expect(attrs(sessionSetCookie(res))).not.toContain("secure");
  });

  it("answers a wrong password and an unknown email with the same 401, and sets no cookie", async () => {
    const org = await createOrg(h);
    const wrong = await login(h, org.owner.email, "not the password");
    const unknown = await login(h, `nobody-${randomToken(6)}@example.test`, PASSWORD);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const w = json<ErrorBody>(wrong);
    const u = json<ErrorBody>(unknown);
    expect(w.error.code).toBe("unauthenticated");
    expect(u.error.code).toBe("unauthenticated");
    expect(w.error.message).toBe(u.error.message);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    expect(unknown.headers["set-cookie"]).toBeUndefined();
  });

  it("accepts the email in any letter case", async () => {
    const org = await createOrg(h);
    const res = await login(h, org.owner.email.toUpperCase(), PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
  });

  it("refuses a user who has no password (created without one)", async () => {
    const org = await createOrg(h);
    const m = await org.member("member"); // the harness makes members with password_hash NULL
    const res = await login(h, m.email, "");
    expect(res.statusCode).toBe(400); // empty password fails validation
    const res2 = await login(h, m.email, PASSWORD);
    expect(res2.statusCode).toBe(401);
  });

  it("the login cookie authenticates GET /api/v1/me", async () => {
    const org = await createOrg(h);
    const res = await login(h, org.owner.email, PASSWORD);
    expect(res.statusCode).toBe(200);
    const me = await h.inject({ method: "GET", url: "/api/v1/me", headers: cookieHeader(res) });
    expect(me.statusCode, me.body).toBe(200);
    const body = json<{
      actor: { kind: string };
      user: { id: string; email: string };
      organization_id: string;
      role: string;
      permissions: string[];
      organizations: Array<{ id: string }>;
    }>(me);
    expect(body.actor.kind).toBe("user");
    expect(body.user.id).toBe(org.owner.userId);
    expect(body.user.email).toBe(org.owner.email);
    expect(body.organization_id).toBe(org.orgId);
    expect(body.role).toBe("owner");
    expect(body.permissions).toContain("members:manage");
    expect(body.organizations.map((o) => o.id)).toEqual([org.orgId]);
    // and an org route works with it too
    const o = await h.inject({ method: "GET", url: "/api/v1/organization", headers: cookieHeader(res) });
    expect(o.statusCode).toBe(200);
  });

  it("GET /api/v1/me without credentials is 401", async () => {
    const res = await h.inject({ method: "GET", url: "/api/v1/me" });
    expect(res.statusCode).toBe(401);
    expect(json<ErrorBody>(res).error.code).toBe("unauthenticated");
  });

  it("an unknown session token is 401", async () => {
    const res = await h.inject({
      method: "GET",
      url: "/api/v1/me",
      headers: { cookie: `lectern_session=${randomToken(32)}` },
    });
    expect(res.statusCode).toBe(401);
  });

  it("logout answers 204, clears the cookie, and ends the session", async () => {
    const org = await createOrg(h);
    const res = await login(h, org.owner.email, PASSWORD);
    const cookie = cookieHeader(res);
    expect((await h.inject({ method: "GET", url: "/api/v1/me", headers: cookie })).statusCode).toBe(200);
    const out = await h.inject({ method: "POST", url: "/api/v1/auth/logout", headers: cookie });
    expect(out.statusCode, out.body).toBe(204);
    const cleared = sessionSetCookie(out);
    // cleared: an empty value or an expiry in the past
    expect(/^lectern_session=;|expires=thu, 01 jan 1970/i.test(cleared)).toBe(true);
    const after = await h.inject({ method: "GET", url: "/api/v1/me", headers: cookie });
    expect(after.statusCode).toBe(401);
    // the row is gone, so another replica can't accept it either
    const token = (cookie.cookie ?? "").split("=")[1] ?? "";
    const rows = await h.deps.db
      .selectFrom("sessions")
      .select("id")
      .where("id", "=", sha256Hex(token))
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("logout only ends the caller's session, not the user's others", async () => {
    const org = await createOrg(h);
    const a = cookieHeader(await login(h, org.owner.email, PASSWORD));
    const b = cookieHeader(await login(h, org.owner.email, PASSWORD));
    expect((await h.inject({ method: "POST", url: "/api/v1/auth/logout", headers: a })).statusCode).toBe(204);
    expect((await h.inject({ method: "GET", url: "/api/v1/me", headers: a })).statusCode).toBe(401);
    expect((await h.inject({ method: "GET", url: "/api/v1/me", headers: b })).statusCode).toBe(200);
  });

  it("refuses an expired session", async () => {
    const org = await createOrg(h);
    const token = randomToken(32);
    await h.deps.db
      .insertInto("sessions")
      .values({
        id: sha256Hex(token),
        user_id: org.owner.userId,
        organization_id: org.orgId,
        expires_at: new Date(Date.now() - 60_000),
        ip: null,
        user_agent: null,
      })
      .execute();
    const headers = { cookie: `lectern_session=${token}` };
    const me = await h.inject({ method: "GET", url: "/api/v1/me", headers });
    expect(me.statusCode).toBe(401);
    const orgRes = await h.inject({ method: "GET", url: "/api/v1/organization", headers });
    expect(orgRes.statusCode).toBe(401);
    // the same row with a future expiry works, so the 401 above is the expiry's doing
    await h.deps.db
      .updateTable("sessions")
      .set({ expires_at: new Date(Date.now() + 60_000) })
      .where("id", "=", sha256Hex(token))
      .execute();
    expect((await h.inject({ method: "GET", url: "/api/v1/me", headers })).statusCode).toBe(200);
  });

  it("switches the session's organization for a member of two orgs", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    // a's owner joins b as a viewer
    await h.deps.db
      .insertInto("memberships")
      .values({ organization_id: b.orgId, user_id: a.owner.userId, role: "viewer" })
      .execute();
    const res = await login(h, a.owner.email, PASSWORD);
    expect(res.statusCode).toBe(200);
    const cookie = cookieHeader(res);
    const me0 = json<{ organizations: Array<{ id: string }> }>(
      await h.inject({ method: "GET", url: "/api/v1/me", headers: cookie }),
    );
    expect(me0.organizations.map((o) => o.id).sort()).toEqual([a.orgId, b.orgId].sort());

    const sw = await h.inject({
      method: "POST",
      url: "/api/v1/me/organization",
      headers: cookie,
      payload: { organization_id: b.orgId },
    });
    expect(sw.statusCode, sw.body).toBe(200);
    expect(json<{ organization_id: string }>(sw).organization_id).toBe(b.orgId);

    const me = json<{ organization_id: string; role: string; permissions: string[] }>(
      await h.inject({ method: "GET", url: "/api/v1/me", headers: cookie }),
    );
    expect(me.organization_id).toBe(b.orgId);
    expect(me.role).toBe("viewer");
    expect(me.permissions).not.toContain("prompts:write");
    const current = json<{ id: string }>(
      await h.inject({ method: "GET", url: "/api/v1/organization", headers: cookie }),
    );
    expect(current.id).toBe(b.orgId);
    // the viewer role applies now: no writes in b
    const write = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: cookie,
      payload: { name: "nope" },
    });
    expect(write.statusCode).toBe(403);

    // and back again
    const back = await h.inject({
      method: "POST",
      url: "/api/v1/me/organization",
      headers: cookie,
      payload: { organization_id: a.orgId },
    });
    expect(back.statusCode).toBe(200);
    const again = json<{ id: string }>(
      await h.inject({ method: "GET", url: "/api/v1/organization", headers: cookie }),
    );
    expect(again.id).toBe(a.orgId);
  });

  it("switching to an org the user is not a member of is 404 and leaves the session where it was", async () => {
    const a = await createOrg(h);
    const other = await createOrg(h);
    const sw = await h.inject({
      method: "POST",
      url: "/api/v1/me/organization",
      headers: a.owner.session,
      payload: { organization_id: other.orgId },
    });
    expect(sw.statusCode).toBe(404);
    expect(json<ErrorBody>(sw).error.code).toBe("not_found");
    const missing = await h.inject({
      method: "POST",
      url: "/api/v1/me/organization",
      headers: a.owner.session,
      payload: { organization_id: "org_doesnotexist" },
    });
    expect(missing.statusCode).toBe(404);
    // the same answer for an org that exists and one that does not: no existence oracle
    expect(json<ErrorBody>(missing).error.message).toBe(json<ErrorBody>(sw).error.message);
    const current = json<{ id: string }>(
      await h.inject({ method: "GET", url: "/api/v1/organization", headers: a.owner.session }),
    );
    expect(current.id).toBe(a.orgId);
  });

  it("an API key cannot switch organizations (403)", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    await h.deps.db
      .insertInto("memberships")
      .values({ organization_id: b.orgId, user_id: a.owner.userId, role: "owner" })
      .execute();
    const sw = await h.inject({
      method: "POST",
      url: "/api/v1/me/organization",
      headers: a.key,
      payload: { organization_id: b.orgId },
    });
    expect(sw.statusCode).toBe(403);
    expect(json<ErrorBody>(sw).error.code).toBe("forbidden");
    const current = json<{ id: string }>(
      await h.inject({ method: "GET", url: "/api/v1/organization", headers: a.key }),
    );
    expect(current.id).toBe(a.orgId);
  });

  it("a session for a user whose membership is gone is refused on org routes", async () => {
    const org = await createOrg(h);
    const m = await org.member("member");
    await h.deps.db
      .deleteFrom("memberships")
      .where("organization_id", "=", org.orgId)
      .where("user_id", "=", m.userId)
      .execute();
    const res = await h.inject({ method: "GET", url: "/api/v1/prompts", headers: m.session });
    expect(res.statusCode).toBe(403);
    // a fresh session with no org at all can still see /me
    const noOrg = await sessionFor(h.deps, m.userId, null);
    const me = await h.inject({ method: "GET", url: "/api/v1/me", headers: noOrg });
    expect(me.statusCode).toBe(200);
    expect(json<{ organization_id: string | null }>(me).organization_id).toBeNull();
  });
});
