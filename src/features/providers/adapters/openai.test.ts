import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeProviderServer, startFakeProviderServer } from "../../../../test/fakes/provider-server.ts";
import {
  type CompletionRequest,
  type ProviderAdapter,
  ProviderError,
  type StreamEvent,
  textPart,
} from "../types.ts";
import { createOpenAIAdapter } from "./openai.ts";

const API_KEY = "sk-test-0123456789abcdef";
let fake: FakeProviderServer;

beforeAll(async () => {
  fake = await startFakeProviderServer();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.requests.length = 0;
});

const adapter = (timeoutMs = 5_000, provider?: string): ProviderAdapter =>
  createOpenAIAdapter({ apiKey: API_KEY, baseUrl: `${fake.url}/v1`, timeoutMs }, provider);

const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: [textPart("Be brief.")] },
    { role: "user", content: [textPart("Say hi")] },
  ],
  params: {},
  ...over,
});

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("openai adapter: complete", () => {
  it("returns the text, finish reason and the request id", async () => {
    fake.setScenario({ kind: "text", text: "Hi there!" });
    const res = await adapter().complete(request());
    expect(res.text).toBe("Hi there!");
    expect(res.finishReason).toBe("stop");
    expect(res.providerRequestId).toMatch(/^req_fake_openai_\d+$/);
    expect(fake.requests[0]?.path).toBe("/v1/chat/completions");
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("normalizes usage: cached and reasoning tokens are parts of prompt and completion tokens", async () => {
    fake.setScenario({
      kind: "text",
      usage: { input: 1200, output: 350, cacheRead: 1024, reasoning: 200 },
    });
    const res = await adapter().complete(request());
    expect(res.usage).toEqual({
      inputTokens: 1200,
      cachedInputTokens: 1024,
      outputTokens: 350,
      reasoningTokens: 200,
    });
  });

  it("maps the params and sends system and user messages in order", async () => {
    await adapter().complete(
      request({ params: { temperature: 0.3, maxTokens: 77, topP: 0.9, stop: ["\n\n"] } }),
    );
    const body = fake.requests[0]?.body;
    expect(body).toMatchObject({
      model: "gpt-4o-mini",
      temperature: 0.3,
      top_p: 0.9,
      stop: ["\n\n"],
      max_completion_tokens: 77,
      stream: false,
    });
    expect(body.max_tokens).toBeUndefined();
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Say hi" },
    ]);
  });

  it("leaves out params that were not set", async () => {
    await adapter().complete(request());
    const body = fake.requests[0]?.body;
    for (const key of ["temperature", "top_p", "stop", "max_tokens", "max_completion_tokens"]) {
      expect(body).not.toHaveProperty(key);
    }
  });

  it("sends images as image_url parts, base64 as a data URL", async () => {
    await adapter().complete(
      request({
        messages: [
          {
            role: "user",
            content: [
              textPart("What is this?"),
              { type: "image", source: { kind: "url", url: "https://example.com/a.png" }, detail: "low" },
              { type: "image", source: { kind: "base64", mediaType: "image/jpeg", data: "AAAA" } },
            ],
          },
        ],
      }),
    );
    expect(fake.requests[0]?.body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
      { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAAA" } },
    ]);
  });

  it("refuses an unresolved media image without calling the provider", async () => {
    const err = await providerError(
      adapter().complete(
        request({
          messages: [
            { role: "user", content: [{ type: "image", source: { kind: "media", mediaId: "med_1" } }] },
          ],
        }),
      ),
    );
    expect(err.kind).toBe("invalid_request");
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ["length", "length"],
    ["content_filter", "content_filter"],
    ["tool_calls", "tool_calls"],
    ["something_new", "other"],
  ] as const)("maps finish_reason %s to %s", async (raw, expected) => {
    fake.setScenario({ kind: "text", rawFinishReason: raw });
    expect((await adapter().complete(request())).finishReason).toBe(expected);
  });
});

describe("openai adapter: stream", () => {
  it("yields the deltas, then one done event with the final usage chunk's numbers", async () => {
    fake.setScenario({
      kind: "text",
      text: "One two three four",
      usage: { input: 40, output: 9, cacheRead: 32, reasoning: 3 },
    });
    const events = await collect(adapter().stream(request({ params: { maxTokens: 50 } })));
    const deltas = events.filter((e) => e.type === "delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.text).join("")).toBe("One two three four");
    expect(events.filter((e) => e.type === "done")).toHaveLength(1);
    const last = events.at(-1);
    expect(last).toEqual({
      type: "done",
      result: {
        text: "One two three four",
        finishReason: "stop",
        usage: { inputTokens: 40, cachedInputTokens: 32, outputTokens: 9, reasoningTokens: 3 },
        providerRequestId: expect.stringMatching(/^req_fake_openai_\d+$/),
      },
    });
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("reports zero usage, not a crash, when a compatible server sends no usage chunk", async () => {
    fake.setScenario({ kind: "text", text: "no usage here", omitUsage: true });
    const events = await collect(adapter(5_000, "openai-compatible").stream(request()));
    const done = events.at(-1);
    expect(done?.type).toBe("done");
    if (done?.type !== "done") return;
    expect(done.result.text).toBe("no usage here");
    expect(done.result.usage).toEqual({
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it("fails with upstream_error on an error event mid-stream, after the first deltas", async () => {
    fake.setScenario({ kind: "stream_error", afterChunks: 2, text: "alpha beta gamma" });
    const seen: string[] = [];
    const err = await providerError(
      (async () => {
        for await (const e of adapter().stream(request())) if (e.type === "delta") seen.push(e.text);
      })(),
    );
    expect(seen.join("")).toBe("alpha beta");
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("The server had an error");
  });

  it("times out when a stream stalls, even though the response had started", async () => {
    fake.setScenario({ kind: "stall", afterChunks: 1 });
    const err = await providerError(collect(adapter(300).stream(request())));
    expect(err.kind).toBe("timeout");
  });

  it("does not count a slow consumer's time between pulls against timeoutMs", async () => {
    fake.setScenario({ kind: "text", text: "one two three" });
    const events: StreamEvent[] = [];
    for await (const e of adapter(200).stream(request())) {
      events.push(e);
      if (events.length === 1) await new Promise((r) => setTimeout(r, 400));
    }
    expect(events.at(-1)?.type).toBe("done");
  });

  it("fails with upstream_error when the connection drops mid-stream", async () => {
    fake.setScenario({ kind: "disconnect", afterChunks: 1 });
    const err = await providerError(collect(adapter().stream(request())));
    expect(err.kind).toBe("upstream_error");
  });

  it("stops with the caller's AbortError when the caller aborts mid-stream", async () => {
    fake.setScenario({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 50 });
    const ac = new AbortController();
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of adapter().stream(request({ signal: ac.signal }))) {
        if (e.type === "delta") seen.push(e.text);
        if (seen.length === 2) ac.abort();
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe("AbortError");
    expect(err).not.toBeInstanceOf(ProviderError);
    expect(seen).toHaveLength(2);
  });
});

describe("openai adapter: errors", () => {
  it("429 is rate_limited with retry-after seconds in ms", async () => {
    fake.setScenario({ kind: "rate_limited", retryAfterSeconds: 7 });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({ kind: "rate_limited", status: 429, retryAfterMs: 7000, provider: "openai" });
  });

  it("prefers retry-after-ms over retry-after", async () => {
    fake.setScenario({ kind: "rate_limited", headers: { "retry-after-ms": "1500" } });
    const err = await providerError(adapter().complete(request()));
    expect(err.retryAfterMs).toBe(1500);
  });

  it("reads an HTTP-date retry-after", async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    fake.setScenario({ kind: "rate_limited", headers: { "retry-after": at } });
    const err = await providerError(adapter().complete(request()));
    // HTTP-dates have whole seconds, so the wait lands within a second of 30 s
    expect(err.retryAfterMs).toBeGreaterThan(28_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("a 429 on a stream request fails before any event", async () => {
    fake.setScenario({ kind: "rate_limited", retryAfterSeconds: 1 });
    const err = await providerError(collect(adapter().stream(request())));
    expect(err).toMatchObject({ kind: "rate_limited", retryAfterMs: 1000 });
  });

  it("503 is overloaded", async () => {
    fake.setScenario({ kind: "overloaded" });
    expect(await providerError(adapter().complete(request()))).toMatchObject({
      kind: "overloaded",
      status: 503,
    });
  });

  it("500 is upstream_error and keeps the upstream message", async () => {
    fake.setScenario({ kind: "server_error" });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({ kind: "upstream_error", status: 500 });
    expect(err.message).toContain("The server had an error while processing your request");
  });

  it("401 is auth, and the echoed key is scrubbed from the message", async () => {
    fake.setScenario({ kind: "unauthorized" });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({ kind: "auth", status: 401 });
    expect(err.message).toContain("Incorrect API key provided");
    expect(err.message).not.toContain(API_KEY);
    expect(JSON.stringify(err.cause ?? null)).not.toContain(API_KEY);
  });

  it("400 is invalid_request", async () => {
    fake.setScenario({ kind: "bad_request" });
    expect(await providerError(adapter().complete(request()))).toMatchObject({
      kind: "invalid_request",
      status: 400,
    });
  });

  it("a hung connection is a timeout after timeoutMs", async () => {
    fake.setScenario({ kind: "hang" });
    const started = Date.now();
    const err = await providerError(adapter(250).complete(request()));
    expect(err.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("does not retry: one 429, one request", async () => {
    fake.enqueue({ kind: "rate_limited", retryAfterSeconds: 0 });
    await providerError(adapter().complete(request()));
    expect(fake.requests).toHaveLength(1);
  });
});

describe("openai-compatible", () => {
  it("reports its own provider name and sends max_tokens, which local servers understand", async () => {
    const compatible = adapter(5_000, "openai-compatible");
    expect(compatible.provider).toBe("openai-compatible");
    await compatible.complete(request({ params: { maxTokens: 20 } }));
    expect(fake.requests[0]?.body.max_tokens).toBe(20);
    expect(fake.requests[0]?.body).not.toHaveProperty("max_completion_tokens");

    fake.setScenario({ kind: "server_error" });
    expect(await providerError(compatible.complete(request()))).toMatchObject({
      provider: "openai-compatible",
    });
  });

  it("needs a base URL", () => {
    expect(() => createOpenAIAdapter({ apiKey: "", timeoutMs: 1000 }, "openai-compatible")).toThrow(
      ProviderError,
    );
  });
});
