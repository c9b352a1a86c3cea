import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  parseSse,
  skipReason,
} from "../../../test/helpers/harness.ts";

describe.skipIf(skipReason)("prompt execution and metering", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  async function makePrompt(headers: Record<string, string>, text = "Say hello to {{name}}") {
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/prompts",
      headers,
      payload: {
        name: `greet-${Math.random()}`,
        version: { model: "mock/echo", messages: [{ role: "user", content: text }] },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string; version: { variables: string[] } }>(res);
  }

  it("executes a prompt on mock/echo and records execution + usage with an exact cost", async () => {
    const org = await createOrg(h);
    const p = await makePrompt(org.key);
    expect(p.version.variables).toEqual(["name"]);
    const res = await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/execute`,
      headers: org.key,
      payload: { variables: { name: "Ada" } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const e = json<{
      id: string;
      output: string;
      usage: { input_tokens: number; output_tokens: number };
      cost_usd: string;
      latency_ms: number;
      model: string;
    }>(res);
    expect(e.output).toContain("Say hello to Ada");
    expect(e.model).toBe("mock/echo");
    expect(e.usage.input_tokens).toBeGreaterThan(0);
    expect(e.usage.output_tokens).toBeGreaterThan(0);
    // mock prices: $0.5 in / $1.5 out per million tokens → cost = (in*0.5 + out*1.5) / 1e6, exactly
    const expectedMicro = e.usage.input_tokens * 0.5 + e.usage.output_tokens * 1.5;
    expect(e.cost_usd).toBe(String(expectedMicro / 1e6).replace(/^(\d+\.\d*?)0+$/, "$1"));
    const usage = await h.deps.db
      .selectFrom("usage_records")
      .selectAll()
      .where("execution_id", "=", e.id)
      .execute();
    expect(usage).toHaveLength(1);
    expect(usage[0]?.tokens_input).toBe(e.usage.input_tokens);
    expect(Number(usage[0]?.cost_usd)).toBeCloseTo(expectedMicro / 1e6, 12);
  });

  it("answers 400 listing missing variables, and records nothing", async () => {
    const org = await createOrg(h);
    const p = await makePrompt(org.key, "{{a}} and {{b}}");
    const res = await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/execute`,
      headers: org.key,
      payload: { variables: { a: 1 } },
    });
    expect(res.statusCode).toBe(400);
    const body = json<{ error: { code: string; details: { missing: string[] }; request_id: string } }>(res);
    expect(body.error.code).toBe("missing_variables");
    expect(body.error.details.missing).toEqual(["b"]);
    expect(body.error.request_id).toBe(res.headers["x-request-id"]);
    const count = await h.deps.db
      .selectFrom("executions")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("organization_id", "=", org.orgId)
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(0);
  });

  it("streams SSE deltas and a final event with usage and cost", async () => {
    const org = await createOrg(h);
    const p = await makePrompt(org.key);
    const res = await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/execute`,
      headers: org.key,
      payload: { variables: { name: "Grace" }, stream: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    const events = parseSse(res.body);
    expect(events[0]?.event).toBe("start");
    const deltas = events.filter((e) => e.event === "delta").map((e) => JSON.parse(e.data).text as string);
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.find((e) => e.event === "done");
    const exec = JSON.parse(done?.data ?? "{}");
    expect(deltas.join("")).toBe(exec.output);
    expect(exec.output).toContain("Grace");
    expect(exec.cost_usd).toMatch(/^0\.\d+$/);
    const stored = await h.inject({ method: "GET", url: `/api/v1/executions/${exec.id}`, headers: org.key });
    expect(json<{ stream: boolean; output: string }>(stored)).toMatchObject({
      stream: true,
      output: exec.output,
    });
  });

  it("records a failed provider call as a failed execution with no usage", async () => {
    const org = await createOrg(h);
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "mock/error", messages: [{ role: "user", content: "hi" }] },
    });
    expect(res.statusCode).toBe(502);
    const body = json<{ error: { code: string; details: { execution_id: string } } }>(res);
    expect(body.error.code).toBe("provider_error");
    const e = await h.inject({
      method: "GET",
      url: `/api/v1/executions/${body.error.details.execution_id}`,
      headers: org.key,
    });
    expect(json<{ status: string }>(e).status).toBe("failed");
  });

  it("lists executions with filters and cursor pagination", async () => {
    const org = await createOrg(h);
    const p = await makePrompt(org.key);
    for (let i = 0; i < 5; i++) {
      await h.inject({
        method: "POST",
        url: `/api/v1/prompts/${p.id}/execute`,
        headers: org.key,
        payload: { variables: { name: `n${i}` } },
      });
    }
    await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "mock/lorem", messages: [{ role: "user", content: "x" }] },
    });
    const page1 = json<{ data: Array<{ id: string }>; next_cursor: string }>(
      await h.inject({
        method: "GET",
        url: `/api/v1/executions?prompt_id=${p.id}&limit=3`,
        headers: org.key,
      }),
    );
    expect(page1.data).toHaveLength(3);
    const page2 = json<{ data: Array<{ id: string }>; next_cursor: string | null }>(
      await h.inject({
        method: "GET",
        url: `/api/v1/executions?prompt_id=${p.id}&limit=3&cursor=${page1.next_cursor}`,
        headers: org.key,
      }),
    );
    expect(page2.data).toHaveLength(2);
    expect(page2.next_cursor).toBeNull();
    const ids = new Set([...page1.data, ...page2.data].map((e) => e.id));
    expect(ids.size).toBe(5);
    const lorem = json<{ data: unknown[] }>(
      await h.inject({ method: "GET", url: "/api/v1/executions?model=mock/lorem", headers: org.key }),
    );
    expect(lorem.data).toHaveLength(1);
  });
});
