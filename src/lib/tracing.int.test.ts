import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeProviderServer, startFakeProviderServer } from "../../test/fakes/provider-server.ts";
import {
  createHarness,
  createOrg,
  type Harness,
  json,
  skipReason,
  type TestOrg,
} from "../../test/helpers/harness.ts";
import { traceFields } from "./tracing.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A minimal OTLP/HTTP (JSON) receiver standing in for Tempo or Jaeger. */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const doc = JSON.parse(body) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
        };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((r) => server.close(() => r())) };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

describe.skipIf(skipReason)("OTLP tracing of an execute request", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let org: TestOrg;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    fake = await startFakeProviderServer();
    receiver = await startOtlpReceiver();
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
        cb();
      },
    });
    h = await createHarness(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      { log: pino({ level: "info", mixin: traceFields }, sink) },
    );
    org = await createOrg(h);
    await h.inject({
      method: "POST",
      url: "/api/v1/providers",
      headers: org.key,
      payload: { provider: "openai", api_key: "sk-trace", base_url: `${fake.url}/v1` },
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
    await receiver?.close();
  });

  it("exports request → GenAI → HTTP client and SQL spans in one trace, continuing the caller's traceparent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    fake.setScenario({ kind: "text", text: "traced", usage: { input: 5, output: 2 } });
    const res = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: { ...org.key, traceparent: `00-${traceId}-${parentId}-01` },
      payload: {
        model: "openai/gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
        params: { max_tokens: 10 },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    fake.setScenario({ kind: "server_error" });
    const failed = await h.inject({
      method: "POST",
      url: "/api/v1/executions",
      headers: { ...org.key, traceparent: `00-${"a".repeat(32)}-${parentId}-01` },
      payload: { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
    });
    expect(failed.statusCode).toBe(502);
    expect(json<{ error: { trace_id: string } }>(failed).error.trace_id).toBe("a".repeat(32));

    await h.deps.tracing?.shutdown(); // flushes the batch processor
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const server = spans.find((s) => s.parentSpanId === parentId);
    expect(server, `spans: ${spans.map((s) => s.name).join(", ")}`).toBeDefined();
    expect(server?.kind).toBe(2); // SERVER
    expect(server?.name).toBe("POST /api/v1/executions");
    const genai = spans.find((s) => s.name === "chat gpt-4o-mini");
    expect(genai).toBeDefined();
    expect(attr(genai as OtlpSpan, "gen_ai.provider.name")).toBe("openai");
    expect(Number(attr(genai as OtlpSpan, "gen_ai.usage.input_tokens"))).toBe(5);
    expect(Number(attr(genai as OtlpSpan, "gen_ai.request.max_tokens"))).toBe(10);
    const ancestors = (s: OtlpSpan) => {
      const chain: string[] = [];
      let cur: OtlpSpan | undefined = s;
      while (cur?.parentSpanId && byId.has(cur.parentSpanId)) {
        cur = byId.get(cur.parentSpanId);
        if (cur) chain.push(cur.spanId);
      }
      return chain;
    };
    expect(ancestors(genai as OtlpSpan)).toContain(server?.spanId);
    const httpClient = spans.find((s) => s.kind === 3 && s.parentSpanId === genai?.spanId);
    expect(httpClient, "an HTTP client span under the GenAI span").toBeDefined();
    const sql = spans.filter((s) => attr(s, "db.system.name") === "postgresql");
    expect(sql.length).toBeGreaterThan(2);
    for (const q of sql) expect(ancestors(q)).toContain(server?.spanId);
    expect(sql.some((s) => s.name === "INSERT")).toBe(true);
    // The provider saw the same trace.
    expect(String(fake.requests[0]?.headers.traceparent)).toContain(traceId);
    // Logs written inside the request carry the trace id.
    expect(logLines.some((l) => l.trace_id === traceId && l.msg === "request")).toBe(true);
  });
});
