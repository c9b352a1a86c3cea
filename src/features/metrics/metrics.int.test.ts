import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, createOrg, type Harness, json, skipReason } from "../../../test/helpers/harness.ts";
import { startMetricsServer } from "./routes.ts";
import { activityCounts } from "./service.ts";

const token = randomBytes(24).toString("hex");

/** Value of one sample line in the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      const value = line.split("}").pop()?.trim().split(" ")[0];
      return Number(value);
    }
  }
  return undefined;
}

describe.skipIf(skipReason)("Prometheus metrics and detailed health", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ LECTERN_METRICS_TOKEN: token });
  });
  afterAll(async () => h?.close());

  const scrape = async () => {
    const res = await h.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res;
  };

  it("is never public: the token or an admin, nobody else", async () => {
    const org = await createOrg(h);
    const member = await org.member("member");
    expect((await h.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
    expect(
      (
        await h.inject({
          method: "GET",
          url: "/metrics",
          headers: { authorization: "Bearer wrong-token-wrong-token" },
        })
      ).statusCode,
    ).toBe(401);
    expect((await h.inject({ method: "GET", url: "/metrics", headers: member.session })).statusCode).toBe(
      403,
    );
    expect((await h.inject({ method: "GET", url: "/metrics", headers: org.owner.session })).statusCode).toBe(
      200,
    );
    const res = await scrape();
    expect(res.headers["content-type"]).toContain("application/openmetrics-text");
  });

  it("records RED by route template, with a 2 s bucket, and business and GenAI metrics after executions", async () => {
    const org = await createOrg(h, { tier: "free" });
    const p = json<{ id: string }>(
      await h.inject({
        method: "POST",
        url: "/api/v1/prompts",
        headers: org.key,
        payload: {
          name: "m",
          version: { model: "mock/echo", messages: [{ role: "user", content: "Hi {{x}}" }] },
        },
      }),
    );
    const before = await scrape();
    const execBefore =
      sample(before.body, "lectern_prompt_executions_total", {
        tier: "free",
        source: "prompt",
        status: "succeeded",
      }) ?? 0;
    for (let i = 0; i < 3; i++) {
      const r = await h.inject({
        method: "POST",
        url: `/api/v1/prompts/${p.id}/execute`,
        headers: org.key,
        payload: { variables: { x: i } },
      });
      expect(r.statusCode).toBe(200);
    }
    await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/execute`,
      headers: org.key,
      payload: { variables: { x: 1 }, stream: true },
    });
    await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "mock/error", messages: [{ role: "user", content: "x" }] },
    });
    const text = (await scrape()).body;

    const route = "/api/v1/prompts/:promptId/execute";
    expect(
      sample(text, "http_server_request_duration_seconds_count", {
        http_route: route,
        http_response_status_code: "200",
        http_request_method: "POST",
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      sample(text, "http_server_request_duration_seconds_bucket", { http_route: route, le: "2.0" }) ??
        sample(text, "http_server_request_duration_seconds_bucket", { http_route: route, le: "2" }),
    ).toBeGreaterThanOrEqual(4);
    expect(text).not.toContain(p.id);
    expect(text).not.toContain(org.orgId);

    expect(
      sample(text, "lectern_prompt_executions_total", {
        tier: "free",
        source: "prompt",
        status: "succeeded",
      }),
    ).toBe(execBefore + 4);
    expect(
      sample(text, "lectern_llm_tokens_total", {
        tier: "free",
        gen_ai_token_type: "output",
        gen_ai_request_model: "mock/echo",
      }),
    ).toBeGreaterThan(0);
    expect(
      sample(text, "lectern_llm_cost_usd_total", { tier: "free", gen_ai_request_model: "mock/echo" }),
    ).toBeGreaterThan(0);
    expect(
      sample(text, "gen_ai_client_operation_duration_seconds_count", {
        gen_ai_provider_name: "mock",
        gen_ai_request_model: "mock/echo",
        error_type: "",
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      sample(text, "gen_ai_client_operation_time_to_first_chunk_seconds_count", {
        gen_ai_request_model: "mock/echo",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, "gen_ai_client_token_usage_count", {
        gen_ai_token_type: "input",
        gen_ai_request_model: "mock/echo",
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      sample(text, "lectern_llm_errors_total", {
        gen_ai_request_model: "mock/error",
        error_type: "upstream_error",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, "lectern_prompt_executions_total", {
        status: "failed",
        gen_ai_request_model: "mock/error",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, "db_client_connection_max", { pool_name: "main" })).toBeGreaterThanOrEqual(1);
    // The gauge is cached for 30 s between scrapes; the count itself is checked directly.
    expect(sample(text, "lectern_active_api_keys", { window: "24h" })).toBeGreaterThanOrEqual(0);
    expect((await activityCounts(h.deps.db)).activeKeys24h).toBeGreaterThanOrEqual(1);
    expect(text).toContain("nodejs_eventloop_utilization_ratio");
    expect(text).toContain("lectern_build_info{");
  });

  it("puts unmatched URLs into one series, not one per path", async () => {
    for (const path of ["/nope/1", "/nope/2", "/nope/3"]) await h.inject({ method: "GET", url: path });
    const text = (await scrape()).body;
    expect(text).not.toContain("/nope/");
    expect(
      sample(text, "http_server_request_duration_seconds_count", {
        http_route: "unmatched",
        http_response_status_code: "404",
      }),
    ).toBeGreaterThanOrEqual(3);
  });

  it("reports detailed health to admins and the scraper, 503 when the database is down", async () => {
    const org = await createOrg(h);
    expect((await h.inject({ method: "GET", url: "/api/v1/health/detailed" })).statusCode).toBe(401);
    expect(
      (
        await h.inject({
          method: "GET",
          url: "/api/v1/health/detailed",
          headers: (await org.member("viewer")).session,
        })
      ).statusCode,
    ).toBe(403);
    const res = await h.inject({
      method: "GET",
      url: "/api/v1/health/detailed",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    const body = json<{
      status: string;
      version: string;
      uptime_seconds: number;
      components: {
        database: { status: string; latency_ms: number; pool: { max: number } };
        redis: { status: string };
        providers: Record<string, { calls: number }>;
      };
    }>(res);
    expect(body.components.database.status).toBe("ok");
    expect(body.components.database.latency_ms).toBeGreaterThanOrEqual(0);
    expect(body.components.database.pool.max).toBeGreaterThanOrEqual(1);
    expect(body.components.redis.status).toBe("not_configured");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);

    const down = await createHarness({ LECTERN_METRICS_TOKEN: token });
    try {
      await down.deps.dbHandle.close();
      const r = await down.inject({
        method: "GET",
        url: "/api/v1/health/detailed",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.statusCode).toBe(503);
      expect(json<{ components: { database: { status: string } } }>(r).components.database.status).toBe(
        "down",
      );
      expect((await down.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503);
    } finally {
      await down.app.close();
    }
  });

  it("serves /metrics only on the dedicated port when LECTERN_METRICS_PORT is set", async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const h2 = await createHarness({ LECTERN_METRICS_PORT: String(port), LECTERN_METRICS_HOST: "127.0.0.1" });
    const server = await startMetricsServer(h2.deps);
    try {
      expect(
        (await h2.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${token}` } }))
          .statusCode,
      ).toBe(404);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("http_server_request_duration_seconds");
    } finally {
      await server?.close();
      await h2.close();
    }
  });
});
