import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../src/lib/errors.ts";
import { createHarness, createOrg, dbKind, type Harness, json, skipReason } from "./helpers/harness.ts";

interface ErrorBody {
  error: {
    code: string;
    message: string;
    request_id: string;
    details?: Array<{ path: string; message: string }>;
  };
}

/** The one error shape every failure shares, with the request id echoed in the header. */
function expectErrorShape(res: LightMyRequestResponse, status: number, code: string): ErrorBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  const body = json<ErrorBody>(res);
  expect(body.error).toEqual(
    expect.objectContaining({ code, message: expect.any(String), request_id: expect.any(String) }),
  );
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.request_id.length).toBeGreaterThan(0);
  expect(res.headers["x-request-id"]).toBe(body.error.request_id);
  return body;
}

const INTERNAL_DETAIL = "pg connection to 10.1.2.3 failed for user lectern password=hunter2";

describe.skipIf(skipReason)("HTTP conventions", () => {
  let h: Harness;
  let small: Harness;
  let broken: Harness;
  beforeAll(async () => {
    h = await createHarness();
    small = await createHarness({ LECTERN_BODY_LIMIT_BYTES: "2048" });
    // A pipeline stage that fails with a plain Error stands in for any unexpected bug.
    broken = await createHarness(
      {},
      {
        hooks: {
          rateLimit: async () => {
            throw new Error(INTERNAL_DETAIL);
          },
        },
      },
    );
  });
  afterAll(async () => {
    await h?.close();
    await small?.close();
    await broken?.close();
  });

  it("every response carries an X-Request-Id, successes included", async () => {
    const res = await h.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-request-id"]).toEqual(expect.stringMatching(/^req_/));
    const res2 = await h.inject({ method: "GET", url: "/healthz" });
    expect(res2.headers["x-request-id"]).not.toBe(res.headers["x-request-id"]);
  });

  it("echoes a well-formed incoming X-Request-Id, and replaces a malformed one", async () => {
    const ok = await h.inject({
      method: "GET",
      url: "/api/v1/prompts",
      headers: { "x-request-id": "trace-abc.123" },
    });
    const body = expectErrorShape(ok, 401, "unauthenticated");
    expect(body.error.request_id).toBe("trace-abc.123");
    const bad = await h.inject({
      method: "GET",
      url: "/api/v1/prompts",
      headers: { "x-request-id": "bad id\twith <script>" },
    });
    const b = expectErrorShape(bad, 401, "unauthenticated");
    expect(b.error.request_id).toMatch(/^req_/);
    const long = await h.inject({
      method: "GET",
      url: "/api/v1/prompts",
      headers: { "x-request-id": "x".repeat(200) },
    });
    expect(expectErrorShape(long, 401, "unauthenticated").error.request_id).toMatch(/^req_/);
  });

  it("an unknown route is a JSON 404 in the error shape", async () => {
    const res = await h.inject({ method: "GET", url: "/api/v1/no-such-thing?x=1" });
    const body = expectErrorShape(res, 404, "not_found");
    expect(body.error.message).toContain("/api/v1/no-such-thing");
    expect(body.error.message).not.toContain("x=1");
    // an unknown method on a known path, too
    const del = await h.inject({ method: "DELETE", url: "/healthz" });
    expect(del.statusCode).toBeGreaterThanOrEqual(400);
    expect(del.statusCode).toBeLessThan(500);
    expect(json<ErrorBody>(del).error.request_id).toBe(del.headers["x-request-id"]);
  });

  it("a body over LECTERN_BODY_LIMIT_BYTES is 413", async () => {
    const org = await createOrg(small);
    const res = await small.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: { ...org.key, "content-type": "application/json" },
      payload: JSON.stringify({ name: "big", description: "x".repeat(4096) }),
    });
    expectErrorShape(res, 413, "payload_too_large");
    // just under the limit is fine
    const ok = await small.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: { ...org.key, "content-type": "application/json" },
      payload: JSON.stringify({ name: "small", description: "x".repeat(1500) }),
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it("a text/plain body on a JSON route is 415", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: { ...org.key, "content-type": "text/plain" },
      payload: JSON.stringify({ name: "plain" }),
    });
    expectErrorShape(res, 415, "unsupported_media_type");
    const rows = await h.deps.db
      .selectFrom("prompts")
      .select("id")
      .where("organization_id", "=", org.orgId)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("malformed JSON is 400 bad_request", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: { ...org.key, "content-type": "application/json" },
      payload: '{"name": "unterminated',
    });
    const body = expectErrorShape(res, 400, "bad_request");
    // the parser's own words (positions, tokens) stay internal
    expect(body.error.message).not.toMatch(/position|Unexpected/i);
  });

  it("a validation error is 400 with details[].path like body.name", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: org.key,
      payload: { name: "", tags: "not-an-array" },
    });
    const body = expectErrorShape(res, 400, "validation_failed");
    const paths = (body.error.details ?? []).map((d) => d.path);
    expect(paths).toContain("body.name");
    for (const d of body.error.details ?? []) expect(d.message).toEqual(expect.any(String));
    // nested paths are dotted too
    const nested = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: org.key,
      payload: { name: "n", version: { model: "mock/echo", messages: [{ role: "wizard", content: "hi" }] } },
    });
    const nb = expectErrorShape(nested, 400, "validation_failed");
    expect((nb.error.details ?? []).map((d) => d.path)).toContain("body.version.messages.0.role");
    // querystring errors name the querystring
    const q = await h.inject({ method: "GET", url: "/api/v1/prompts?limit=0", headers: org.key });
    const qb = expectErrorShape(q, 400, "validation_failed");
    expect((qb.error.details ?? []).map((d) => d.path)).toContain("querystring.limit");
  });

  it("an unauthenticated request to an org route is 401", async () => {
    for (const url of ["/api/v1/prompts", "/api/v1/organization", "/api/v1/me", "/api/v1/api-keys"]) {
      const res = await h.inject({ method: "GET", url });
      expectErrorShape(res, 401, "unauthenticated");
    }
    // the gateway too, in the same shape (plus OpenAI's error.type)
    const gw = await h.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: "mock/echo", messages: [{ role: "user", content: "hi" }] },
    });
    expectErrorShape(gw, 401, "unauthenticated");
  });

  it("a 403 names no more than the missing permission", async () => {
    const org = await createOrg(h);
    const viewer = await org.member("viewer");
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers: viewer.session,
      payload: { name: "x" },
    });
    const body = expectErrorShape(res, 403, "forbidden");
    expect(body.error.message).toContain("prompts:write");
  });

  it("a 500 hides internals behind a generic message and still carries the request id", async () => {
    const org = await createOrg(broken);
    const res = await broken.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "mock/echo", messages: [{ role: "user", content: "hi" }] },
    });
    const body = expectErrorShape(res, 500, "internal");
    expect(body.error.message).toBe("Internal server error");
    expect(res.body).not.toContain("hunter2");
    expect(res.body).not.toContain("10.1.2.3");
    expect(res.body).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    expect(body.error).not.toHaveProperty("details");
  });

  it("an AppError thrown by a stage keeps its own status and message (not masked as 500)", async () => {
    const typed = await createHarness(
      {},
      {
        hooks: {
          rateLimit: async () => {
            throw new AppError("rate_limited", "Slow down", undefined, { "retry-after": "7" });
          },
        },
      },
    );
    try {
      const org = await createOrg(typed);
      const res = await typed.inject({
        method: "POST",
        url: "/api/v1/executions",
        headers: org.key,
        payload: { model: "mock/echo", messages: [{ role: "user", content: "hi" }] },
      });
      const body = expectErrorShape(res, 429, "rate_limited");
      expect(body.error.message).toBe("Slow down");
      expect(res.headers["retry-after"]).toBe("7");
    } finally {
      await typed.close();
    }
  });

  it("/healthz is 200 and /readyz is 200 naming the database driver, both without credentials", async () => {
    const live = await h.inject({ method: "GET", url: "/healthz" });
    expect(live.statusCode).toBe(200);
    expect(json(live)).toEqual({ status: "ok" });
    const ready = await h.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(json(ready)).toMatchObject({ status: "ready", database: dbKind });
  });

  it("GET /api/v1/openapi.json is a public OpenAPI 3.1 document listing execute and the gateway", async () => {
    const res = await h.inject({ method: "GET", url: "/api/v1/openapi.json" });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const doc = json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, unknown>>;
    }>(res);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toEqual(expect.any(String));
    const execute = doc.paths["/api/v1/prompts/{promptId}/execute"];
    expect(execute).toBeDefined();
    expect(execute).toHaveProperty("post");
    expect(doc.paths["/v1/chat/completions"]).toHaveProperty("post");
    // Fastify's :param syntax never leaks into the document
    expect(Object.keys(doc.paths).filter((p) => p.includes(":"))).toEqual([]);
  });
});
