import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, createOrg, type Harness, json, skipReason } from "../../../test/helpers/harness.ts";

type ErrorBody = {
  error: { code: string; message: string; request_id: string; details?: Array<{ path: string }> };
};
interface Model {
  id: string;
  slug: string;
  provider: string;
  upstream_model: string;
  display_name: string;
  scope: "global" | "organization";
  credential_id: string | null;
  capabilities: { vision: boolean; streaming: boolean; context_window: number; max_output_tokens: number };
  deprecated: boolean;
}
interface Price {
  id: string;
  model_id: string;
  scope: "global" | "organization";
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok: string;
  effective_from: string;
}
interface Execution {
  id: string;
  cost_usd: string;
  usage: { input_tokens: number; output_tokens: number; cached_input_tokens: number };
}

const ECHO_ID = "mdl_mock_echo";

/** "2.123456" USD per million tokens → integer micro-USD per million tokens (= pico-USD per token). */
function microPerMtok(usd: string): bigint {
  const [whole = "0", frac = ""] = usd.split(".");
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, "0"));
}

/** Pico-USD as a plain decimal USD string with trailing zeros trimmed ("0.0000351"). */
function picoToUsd(pico: bigint): string {
  const s = pico.toString().padStart(13, "0");
  const whole = s.slice(0, -12);
  const frac = s.slice(-12).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole;
}

function expectedCost(e: Execution, input: string, output: string, cached = input): string {
  const cachedTokens = BigInt(e.usage.cached_input_tokens);
  const uncached = BigInt(e.usage.input_tokens) - cachedTokens;
  return picoToUsd(
    uncached * microPerMtok(input) +
      cachedTokens * microPerMtok(cached) +
      BigInt(e.usage.output_tokens) * microPerMtok(output),
  );
}

describe.skipIf(skipReason)("model catalog and prices", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  const listModels = async (headers: Record<string, string>) => {
    const res = await h.inject({ method: "GET", url: "/api/v1/models", headers });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ data: Model[] }>(res).data;
  };

  async function compatCredential(headers: Record<string, string>) {
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/providers",
      headers,
      payload: {
        provider: "openai-compatible",
        name: `vllm-${randomBytes(3).toString("hex")}`,
        api_key: "sk-local-0000",
        base_url: "http://127.0.0.1:9/v1",
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  }

  const addModel = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    h.inject({ method: "POST", url: "/api/v1/models", headers, payload });

  async function runEcho(headers: Record<string, string>, text = "What does this cost, exactly?") {
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers,
      payload: { model: "mock/echo", messages: [{ role: "user", content: text }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const e = json<Execution>(res);
    expect(e.usage.input_tokens).toBeGreaterThan(0);
    expect(e.usage.output_tokens).toBeGreaterThan(0);
    return e;
  }

  const setPrice = (headers: Record<string, string>, modelId: string, payload: Record<string, unknown>) =>
    h.inject({ method: "POST", url: `/api/v1/models/${modelId}/prices`, headers, payload });

  it("lists the global catalog with capabilities, mock/echo and openai/gpt-4o-mini included", async () => {
    const org = await createOrg(h);
    const models = await listModels(org.key);
    const echo = models.find((m) => m.slug === "mock/echo");
    expect(echo).toMatchObject({
      id: ECHO_ID,
      provider: "mock",
      upstream_model: "echo",
      scope: "global",
      credential_id: null,
      deprecated: false,
      capabilities: { vision: true, streaming: true, context_window: 128000, max_output_tokens: 16384 },
    });
    const mini = models.find((m) => m.slug === "openai/gpt-4o-mini");
    expect(mini).toMatchObject({
      provider: "openai",
      upstream_model: "gpt-4o-mini",
      scope: "global",
      capabilities: { vision: true, streaming: true, context_window: 128000, max_output_tokens: 16384 },
    });
    const one = await h.inject({ method: "GET", url: `/api/v1/models/${mini?.id}`, headers: org.key });
    expect(one.statusCode).toBe(200);
    expect(json<Model>(one).slug).toBe("openai/gpt-4o-mini");
  });

  it("a viewer can read the catalog", async () => {
    const org = await createOrg(h);
    const viewer = await org.member("viewer");
    expect((await listModels(viewer.session)).some((m) => m.slug === "mock/echo")).toBe(true);
  });

  it("an org adds its own openai-compatible model, and only that org sees it", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    const credentialId = await compatCredential(org.owner.session);
    const res = await addModel(org.owner.session, {
      slug: "vllm/llama-3.1-8b",
      upstream_model: "meta-llama/Llama-3.1-8B-Instruct",
      credential_id: credentialId,
      context_window: 131072,
      max_output_tokens: 4096,
    });
    expect(res.statusCode, res.body).toBe(201);
    const m = json<Model>(res);
    expect(m).toMatchObject({
      slug: "vllm/llama-3.1-8b",
      provider: "openai-compatible",
      scope: "organization",
      credential_id: credentialId,
      capabilities: { vision: false, streaming: true, context_window: 131072, max_output_tokens: 4096 },
    });

    expect((await listModels(org.key)).map((x) => x.id)).toContain(m.id);
    expect((await listModels(other.key)).map((x) => x.id)).not.toContain(m.id);
    expect((await listModels(other.key)).map((x) => x.slug)).not.toContain("vllm/llama-3.1-8b");
    const peek = await h.inject({ method: "GET", url: `/api/v1/models/${m.id}`, headers: other.key });
    expect(peek.statusCode).toBe(404);
    const del = await h.inject({
      method: "DELETE",
      url: `/api/v1/models/${m.id}`,
      headers: other.owner.session,
    });
    expect(del.statusCode).toBe(404);
    // the other org can't run it either: the slug is unknown there
    const run = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: other.key,
      payload: { model: "vllm/llama-3.1-8b", messages: [{ role: "user", content: "hi" }] },
    });
    expect(run.statusCode).toBe(400);
    // and it can use the same slug for its own model
    const otherCred = await compatCredential(other.owner.session);
    const same = await addModel(other.owner.session, {
      slug: "vllm/llama-3.1-8b",
      upstream_model: "x",
      credential_id: otherCred,
      context_window: 1,
      max_output_tokens: 1,
    });
    expect(same.statusCode, same.body).toBe(201);
  });

  it("a duplicate slug in one org is 409", async () => {
    const org = await createOrg(h);
    const credentialId = await compatCredential(org.owner.session);
    const body = {
      slug: "local/qwen",
      upstream_model: "qwen",
      credential_id: credentialId,
      context_window: 32768,
      max_output_tokens: 2048,
    };
    expect((await addModel(org.owner.session, body)).statusCode).toBe(201);
    const dup = await addModel(org.owner.session, body);
    expect(dup.statusCode).toBe(409);
  });

  it("a reserved slug prefix (openai/…, mock/…) is 400 naming body.slug", async () => {
    const org = await createOrg(h);
    const credentialId = await compatCredential(org.owner.session);
    for (const slug of ["openai/gpt-4o-mini", "openai/my-model", "mock/echo", "anthropic/x", "gemini/y"]) {
      const res = await addModel(org.owner.session, {
        slug,
        upstream_model: "whatever",
        credential_id: credentialId,
        context_window: 8192,
        max_output_tokens: 1024,
      });
      expect(res.statusCode, slug).toBe(400);
      expect(json<ErrorBody>(res).error.details?.map((d) => d.path)).toContain("body.slug");
    }
    const own = (await listModels(org.key)).filter((m) => m.scope === "organization");
    expect(own).toHaveLength(0);
  });

  it("an org model needs an openai-compatible credential of the same org", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    const openai = await h.inject({
      method: "POST",
      url: "/api/v1/providers",
      headers: org.owner.session,
      payload: { provider: "openai", api_key: "sk-openai-0000" },
    });
    const wrongKind = await addModel(org.owner.session, {
      slug: "mine/a",
      upstream_model: "a",
      credential_id: json<{ id: string }>(openai).id,
      context_window: 1,
      max_output_tokens: 1,
    });
    expect(wrongKind.statusCode).toBe(400);
    const foreign = await addModel(org.owner.session, {
      slug: "mine/b",
      upstream_model: "b",
      credential_id: await compatCredential(other.owner.session),
      context_window: 1,
      max_output_tokens: 1,
    });
    expect(foreign.statusCode).toBe(404);
  });

  it("only admins and owners add models and prices (member → 403)", async () => {
    const org = await createOrg(h);
    const m = await org.member("member");
    const credentialId = await compatCredential(org.owner.session);
    const add = await addModel(m.session, {
      slug: "local/x",
      upstream_model: "x",
      credential_id: credentialId,
      context_window: 1,
      max_output_tokens: 1,
    });
    expect(add.statusCode).toBe(403);
    const price = await setPrice(m.session, ECHO_ID, { input_per_mtok: "0", output_per_mtok: "0" });
    expect(price.statusCode).toBe(403);
    // global models cannot be deleted by anyone
    const del = await h.inject({
      method: "DELETE",
      url: `/api/v1/models/${ECHO_ID}`,
      headers: org.owner.session,
    });
    expect(del.statusCode).toBe(403);
  });

  it("an org price override sets the exact cost of the next mock/echo execution, for that org only", async () => {
    const org = await createOrg(h);
    const other = await createOrg(h);
    const base = await runEcho(org.key);
    // the global list price: $0.5 in / $1.5 out per million tokens
    expect(base.cost_usd).toBe(expectedCost(base, "0.5", "1.5", "0.25"));

    const res = await setPrice(org.owner.session, ECHO_ID, {
      input_per_mtok: "2.123456",
      output_per_mtok: "7.654321",
    });
    expect(res.statusCode, res.body).toBe(201);
    const p = json<Price>(res);
    expect(p).toMatchObject({
      model_id: ECHO_ID,
      scope: "organization",
      input_per_mtok: "2.123456",
      output_per_mtok: "7.654321",
      cached_input_per_mtok: "2.123456",
    });

    const e = await runEcho(org.key);
    expect(e.usage.cached_input_tokens).toBe(0);
    const want = expectedCost(e, "2.123456", "7.654321");
    expect(e.cost_usd).toBe(want);
    expect(e.cost_usd).not.toBe(expectedCost(e, "0.5", "1.5"));
    // the stored usage record agrees, to the pico-dollar, and points at the override price
    const usage = await h.deps.db
      .selectFrom("usage_records")
      .select(["cost_usd", "price_id"])
      .where("execution_id", "=", e.id)
      .executeTakeFirstOrThrow();
    expect(
      picoToUsd(
        BigInt(
          String(usage.cost_usd)
            .replace(".", "")
            .replace(/^0+(?=\d)/, ""),
        ),
      ),
    ).toBe(want);
    expect(usage.price_id).toBe(p.id);

    // another org still pays the list price
    const o = await runEcho(other.key);
    expect(o.cost_usd).toBe(expectedCost(o, "0.5", "1.5"));
  });

  it("a price with effective_from in the future does not apply yet; GET prices lists both", async () => {
    const org = await createOrg(h);
    const future = new Date(Date.now() + 7 * 24 * 3_600_000).toISOString();
    const res = await setPrice(org.owner.session, ECHO_ID, {
      input_per_mtok: "100",
      output_per_mtok: "200",
      cached_input_per_mtok: "50",
      effective_from: future,
    });
    expect(res.statusCode, res.body).toBe(201);
    const p = json<Price>(res);
    expect(p.effective_from).toBe(future);
    expect(p.cached_input_per_mtok).toBe("50");

    const e = await runEcho(org.key);
    expect(e.cost_usd).toBe(expectedCost(e, "0.5", "1.5", "0.25"));

    const list = await h.inject({ method: "GET", url: `/api/v1/models/${ECHO_ID}/prices`, headers: org.key });
    expect(list.statusCode, list.body).toBe(200);
    const prices = json<{ data: Price[] }>(list).data;
    expect(prices).toHaveLength(2);
    expect(prices.find((x) => x.scope === "global")).toMatchObject({
      input_per_mtok: "0.5",
      output_per_mtok: "1.5",
      cached_input_per_mtok: "0.25",
      effective_from: "2025-01-01T00:00:00.000Z",
    });
    expect(prices.find((x) => x.scope === "organization")).toMatchObject({
      id: p.id,
      input_per_mtok: "100",
      output_per_mtok: "200",
      effective_from: future,
    });
    // another org doesn't see this org's override
    const other = await createOrg(h);
    const theirs = json<{ data: Price[] }>(
      await h.inject({ method: "GET", url: `/api/v1/models/${ECHO_ID}/prices`, headers: other.key }),
    ).data;
    expect(theirs.map((x) => x.scope)).toEqual(["global"]);
  });

  it("of two overrides in force, the later effective_from wins", async () => {
    const org = await createOrg(h);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const dayAgo = new Date(Date.now() - 24 * 3_600_000).toISOString();
    // inserted newest-effective first, so insertion order can't be what decides
    expect(
      (
        await setPrice(org.owner.session, ECHO_ID, {
          input_per_mtok: "3",
          output_per_mtok: "4",
          effective_from: hourAgo,
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await setPrice(org.owner.session, ECHO_ID, {
          input_per_mtok: "9",
          output_per_mtok: "9",
          effective_from: dayAgo,
        })
      ).statusCode,
    ).toBe(201);
    const e = await runEcho(org.key);
    expect(e.cost_usd).toBe(expectedCost(e, "3", "4"));
  });

  it("rejects prices with more than 6 decimals or negative values (400)", async () => {
    const org = await createOrg(h);
    for (const payload of [
      { input_per_mtok: "0.1234567", output_per_mtok: "1" },
      { input_per_mtok: "-1", output_per_mtok: "1" },
      { input_per_mtok: "1e3", output_per_mtok: "1" },
      { input_per_mtok: 1, output_per_mtok: "1" },
    ]) {
      const res = await setPrice(org.owner.session, ECHO_ID, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it("prices of a model another org owns are 404", async () => {
    const a = await createOrg(h);
    const b = await createOrg(h);
    const credentialId = await compatCredential(a.owner.session);
    const m = json<Model>(
      await addModel(a.owner.session, {
        slug: "priv/m",
        upstream_model: "m",
        credential_id: credentialId,
        context_window: 1,
        max_output_tokens: 1,
      }),
    );
    expect(
      (await h.inject({ method: "GET", url: `/api/v1/models/${m.id}/prices`, headers: b.key })).statusCode,
    ).toBe(404);
    const set = await setPrice(b.owner.session, m.id, { input_per_mtok: "1", output_per_mtok: "1" });
    expect(set.statusCode).toBe(404);
  });
});
