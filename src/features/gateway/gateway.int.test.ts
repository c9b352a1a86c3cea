import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeProviderServer, startFakeProviderServer } from "../../../test/fakes/provider-server.ts";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  parseSse,
  skipReason,
  type TestOrg,
} from "../../../test/helpers/harness.ts";

/**
 * The official `openai` client against Lectern's /v1, and Lectern against the fake provider server with
 * each real adapter: the whole path client → gateway → pipeline → SDK → wire → metering.
 */
describe.skipIf(skipReason)("OpenAI-compatible gateway and real provider adapters", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  let baseURL: string;
  let org: TestOrg;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeProviderServer();
    h = await createHarness({ LECTERN_PROVIDER_TIMEOUT_MS: "800" });
    const address = await h.app.listen({ port: 0, host: "127.0.0.1" });
    baseURL = `${address}/v1`;
    org = await createOrg(h);
    client = new OpenAI({ apiKey: org.apiKey, baseURL, maxRetries: 0 });
    const creds = [
      { provider: "openai", api_key: "sk-org-openai-secret", base_url: `${fake.url}/v1` },
      { provider: "anthropic", api_key: "sk-ant-org-secret", base_url: fake.url },
      { provider: "gemini", api_key: "gemini-org-secret", base_url: fake.url },
    ];
    for (const c of creds) {
      const res = await h.inject({ method: "POST", url: "/api/v1/providers", headers: org.key, payload: c });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.requests.length = 0;
  });

  const usageOf = async (executionId: string) =>
    h.deps.db
      .selectFrom("usage_records")
      .selectAll()
      .where("execution_id", "=", executionId)
      .executeTakeFirst();

  it("serves the official client, non-streaming, on mock/echo", async () => {
    const r = await client.chat.completions.create({
      model: "mock/echo",
      messages: [{ role: "user", content: "ping" }],
    });
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]?.message.content).toBe("Echo: ping");
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
    const exec = await usageOf(r.id.replace("chatcmpl-", ""));
    expect(exec?.tokens_output).toBe(r.usage?.completion_tokens);
  });

  it("streams to the official client with include_usage", async () => {
    const stream = await client.chat.completions.create({
      model: "mock/echo",
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Echo: stream me please");
    expect(chunks).toBeGreaterThan(3);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("lists catalog slugs as models", async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain("mock/echo");
    expect(ids).toContain("anthropic/claude-sonnet-4-5");
  });

  it("routes openai/* through the OpenAI adapter with the org's decrypted key and meters cached tokens exactly", async () => {
    fake.setScenario({ kind: "text", text: "Hi there", usage: { input: 12, output: 3, cacheRead: 4 } });
    const r = await client.chat.completions.create({
      model: "openai/gpt-4o-mini",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hello" },
      ],
      temperature: 0.2,
      max_tokens: 50,
    });
    expect(r.choices[0]?.message.content).toBe("Hi there");
    expect(r.usage?.prompt_tokens_details?.cached_tokens).toBe(4);
    const upstream = fake.requests[0];
    expect(upstream?.path).toBe("/v1/chat/completions");
    expect(upstream?.headers.authorization).toBe("Bearer sk-org-openai-secret");
    expect(upstream?.body.model).toBe("gpt-4o-mini");
    expect(upstream?.body.temperature).toBe(0.2);
    // gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per Mtok → 8*0.15 + 4*0.075 + 3*0.6 = 3.3 micro-USD
    const u = await usageOf(r.id.replace("chatcmpl-", ""));
    expect(u?.tokens_cached_input).toBe(4);
    const e = json<{ cost_usd: string }>(
      await h.inject({
        method: "GET",
        url: `/api/v1/executions/${r.id.replace("chatcmpl-", "")}`,
        headers: org.key,
      }),
    );
    expect(e.cost_usd).toBe("0.0000033");
  });

  it("streams anthropic/* through the Anthropic adapter, normalizing cache tokens into input", async () => {
    fake.setScenario({
      kind: "text",
      text: "Bonjour le monde",
      usage: { input: 10, output: 5, cacheRead: 20, cacheWrite: 2 },
    });
    const stream = await client.chat.completions.create({
      model: "anthropic/claude-sonnet-4-5",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Bonjour le monde");
    expect(usage?.prompt_tokens).toBe(32);
    expect(usage?.prompt_tokens_details?.cached_tokens).toBe(20);
    expect(fake.requests[0]?.path).toBe("/v1/messages");
    // sonnet 4.5: $3 in, $0.30 cached, $15 out → 12*3 + 20*0.3 + 5*15 = 36 + 6 + 75 = 117 micro-USD
    const rows = await h.deps.db
      .selectFrom("executions")
      .select(["cost_usd", "id"])
      .where("model", "=", "anthropic/claude-sonnet-4-5")
      .execute();
    expect(Number(rows[0]?.cost_usd)).toBe(0.000117);
  });

  it("runs a saved prompt on gemini/* through the Gemini adapter, streamed over Lectern's SSE", async () => {
    fake.setScenario({ kind: "text", text: "Gemini says hi", usage: { input: 7, output: 4, reasoning: 3 } });
    const p = json<{ id: string }>(
      await h.inject({
        method: "POST",
        url: "/api/v1/prompts",
        headers: org.key,
        payload: {
          name: "gem",
          version: {
            model: "gemini/gemini-2.5-flash",
            messages: [{ role: "user", content: "Hi {{who}}" }],
            params: { max_tokens: 20 },
          },
        },
      }),
    );
    const res = await h.inject({
      method: "POST",
      url: `/api/v1/prompts/${p.id}/execute`,
      headers: org.key,
      payload: { variables: { who: "Gem" }, stream: true },
    });
    const events = parseSse(res.body);
    const done = JSON.parse(events.find((e) => e.event === "done")?.data ?? "{}");
    expect(done.output).toBe("Gemini says hi");
    expect(done.usage).toMatchObject({ input_tokens: 7, output_tokens: 7, reasoning_tokens: 3 });
    const upstream = fake.requests[0];
    expect(upstream?.path).toContain("gemini-2.5-flash:streamGenerateContent");
    expect(JSON.stringify(upstream?.body)).toContain("Hi Gem");
  });

  it("maps provider failures to clear errors and records the failed execution", async () => {
    fake.setScenario({ kind: "rate_limited", retryAfterSeconds: 7 });
    const rl = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
    });
    expect(rl.statusCode).toBe(429);
    expect(rl.headers["retry-after"]).toBe("7");
    const rlBody = json<{ error: { code: string; details: { execution_id: string; provider: string } } }>(rl);
    expect(rlBody.error.details.provider).toBe("openai");
    const failed = json<{ status: string; error: { code: string } }>(
      await h.inject({
        method: "GET",
        url: `/api/v1/executions/${rlBody.error.details.execution_id}`,
        headers: org.key,
      }),
    );
    expect(failed).toMatchObject({ status: "failed", error: { code: "rate_limited" } });

    fake.setScenario({ kind: "overloaded" });
    const ov = await client.chat.completions
      .create({ model: "anthropic/claude-haiku-4-5", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(ov).toBeInstanceOf(OpenAI.APIError);
    expect((ov as InstanceType<typeof OpenAI.APIError>).status).toBe(503);

    fake.setScenario({ kind: "hang" });
    const to = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "gemini/gemini-2.5-flash", messages: [{ role: "user", content: "x" }] },
    });
    expect(to.statusCode).toBe(504);
    expect(json<{ error: { code: string } }>(to).error.code).toBe("provider_timeout");

    fake.setScenario({ kind: "unauthorized" });
    const au = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: org.key,
      payload: { model: "openai/gpt-4o", messages: [{ role: "user", content: "x" }] },
    });
    expect(au.statusCode).toBe(502);
    expect(au.body).not.toContain("sk-org-openai-secret");
  });

  it("sends an error event mid-stream and still records the execution", async () => {
    fake.setScenario({ kind: "stream_error", afterChunks: 2 });
    const stream = await client.chat.completions.create({
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    const err = await (async () => {
      for await (const _ of stream) {
        // drain until the error
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const rows = await h.deps.db
      .selectFrom("executions")
      .select(["status", "stream"])
      .where("organization_id", "=", org.orgId)
      .where("status", "=", "failed")
      .where("stream", "=", true)
      .execute();
    expect(rows.length).toBeGreaterThan(0);
  });

  it("refuses requests it cannot honour, and callers without a key", async () => {
    const tools = await h.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: org.key,
      payload: {
        model: "mock/echo",
        messages: [{ role: "user", content: "x" }],
        tools: [{ type: "function", function: { name: "f" } }],
      },
    });
    expect(tools.statusCode).toBe(400);
    const unknown = await client.chat.completions
      .create({ model: "nope/model", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    const anon = new OpenAI({ apiKey: "lk_not_a_real_key", baseURL, maxRetries: 0 });
    const denied = await anon.chat.completions
      .create({ model: "mock/echo", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    const other = await createOrg(h);
    const noCred = await h.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: other.key,
      payload: { model: "openai/gpt-4o", messages: [{ role: "user", content: "x" }] },
    });
    expect(noCred.statusCode).toBe(400);
    expect(json<{ error: { message: string } }>(noCred).error.message).toMatch(/No openai credential/);
  });
});
