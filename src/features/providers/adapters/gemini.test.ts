import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeProviderServer, startFakeProviderServer } from "../../../../test/fakes/provider-server.ts";
import {
  type CompletionRequest,
  type ProviderAdapter,
  ProviderError,
  type StreamEvent,
  textPart,
} from "../types.ts";
import { createGeminiAdapter } from "./gemini.ts";

const API_KEY = "AIza-test-0123456789";
let fake: FakeProviderServer;

beforeAll(async () => {
  fake = await startFakeProviderServer();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.requests.length = 0;
});

const adapter = (timeoutMs = 5_000): ProviderAdapter =>
  createGeminiAdapter({ apiKey: API_KEY, baseUrl: fake.url, timeoutMs });

const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  model: "gemini-2.5-flash",
  messages: [
    { role: "system", content: [textPart("Be brief.")] },
    { role: "user", content: [textPart("Say hi")] },
    { role: "assistant", content: [textPart("Hi.")] },
    { role: "user", content: [textPart("Again")] },
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

describe("gemini adapter: complete", () => {
  it("returns the text, finish reason and response id", async () => {
    fake.setScenario({ kind: "text", text: "Hello again." });
    const res = await adapter().complete(request());
    expect(res.text).toBe("Hello again.");
    expect(res.finishReason).toBe("stop");
    expect(res.providerRequestId).toMatch(/^fake-gemini-\d+$/);
    expect(fake.requests[0]?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(fake.requests[0]?.headers["x-goog-api-key"]).toBe(API_KEY);
  });

  it("normalizes usage: output adds thoughts to candidates, cached is part of the prompt", async () => {
    fake.setScenario({ kind: "text", usage: { input: 900, cacheRead: 512, output: 80, reasoning: 300 } });
    const res = await adapter().complete(request());
    expect(res.usage).toEqual({
      inputTokens: 900,
      cachedInputTokens: 512,
      outputTokens: 80 + 300,
      reasoningTokens: 300,
    });
  });

  it("puts system messages in systemInstruction, names the assistant 'model', and maps the params", async () => {
    await adapter().complete(
      request({ params: { temperature: 1.1, maxTokens: 256, topP: 0.95, stop: ["##"] } }),
    );
    const body = fake.requests[0]?.body;
    expect(body.systemInstruction.parts).toEqual([{ text: "Be brief." }]);
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Say hi" }] },
      { role: "model", parts: [{ text: "Hi." }] },
      { role: "user", parts: [{ text: "Again" }] },
    ]);
    expect(body.generationConfig).toEqual({
      temperature: 1.1,
      maxOutputTokens: 256,
      topP: 0.95,
      stopSequences: ["##"],
    });
  });

  it("sends no generation params that were not set", async () => {
    await adapter().complete(request({ messages: [{ role: "user", content: [textPart("x")] }] }));
    const body = fake.requests[0]?.body;
    expect(body.generationConfig ?? {}).toEqual({});
    expect(body).not.toHaveProperty("systemInstruction");
  });

  it("sends base64 images as inlineData and URLs as fileData", async () => {
    await adapter().complete(
      request({
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { kind: "base64", mediaType: "image/webp", data: "UklGR" } },
              { type: "image", source: { kind: "url", url: "https://example.com/cat.JPG?sig=1" } },
              textPart("Caption."),
            ],
          },
        ],
      }),
    );
    expect(fake.requests[0]?.body.contents[0].parts).toEqual([
      { inlineData: { mimeType: "image/webp", data: "UklGR" } },
      { fileData: { fileUri: "https://example.com/cat.JPG?sig=1", mimeType: "image/jpeg" } },
      { text: "Caption." },
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
    ["STOP", "stop"],
    ["MAX_TOKENS", "length"],
    ["SAFETY", "content_filter"],
    ["PROHIBITED_CONTENT", "content_filter"],
    ["BLOCKLIST", "content_filter"],
    ["RECITATION", "content_filter"],
    ["MALFORMED_FUNCTION_CALL", "other"],
  ] as const)("maps finishReason %s to %s", async (raw, expected) => {
    fake.setScenario({ kind: "text", rawFinishReason: raw });
    expect((await adapter().complete(request())).finishReason).toBe(expected);
  });
});

describe("gemini adapter: stream", () => {
  it("yields the deltas, then one done event with the last chunk's usage", async () => {
    fake.setScenario({
      kind: "text",
      text: "Eins zwei drei vier",
      finishReason: "length",
      usage: { input: 120, cacheRead: 0, output: 40, reasoning: 25 },
    });
    const events = await collect(adapter().stream(request()));
    const deltas = events.filter((e) => e.type === "delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.text).join("")).toBe("Eins zwei drei vier");
    expect(events.filter((e) => e.type === "done")).toHaveLength(1);
    expect(events.at(-1)).toEqual({
      type: "done",
      result: {
        text: "Eins zwei drei vier",
        finishReason: "length",
        // earlier chunks carry smaller running totals; only the last one's count
        usage: { inputTokens: 120, cachedInputTokens: 0, outputTokens: 65, reasoningTokens: 25 },
        providerRequestId: expect.stringMatching(/^fake-gemini-\d+$/),
      },
    });
    expect(fake.requests[0]?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  });

  it("fails with upstream_error on an error chunk mid-stream, after the first deltas", async () => {
    fake.setScenario({ kind: "stream_error", afterChunks: 2, text: "alpha beta gamma" });
    const seen: string[] = [];
    const err = await providerError(
      (async () => {
        for await (const e of adapter().stream(request())) if (e.type === "delta") seen.push(e.text);
      })(),
    );
    expect(seen.join("")).toBe("alpha beta");
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("An internal error has occurred");
  });

  it("times out when a stream stalls", async () => {
    fake.setScenario({ kind: "stall", afterChunks: 1 });
    expect((await providerError(collect(adapter(300).stream(request())))).kind).toBe("timeout");
  });

  it("keeps a slow but live stream going past timeoutMs", async () => {
    // 6 chunks 100 ms apart: 600 ms in all, against a 300 ms timeout between events
    fake.setScenario({ kind: "text", text: "a b c d e f", chunkDelayMs: 100 });
    const events = await collect(adapter(300).stream(request()));
    expect(events.at(-1)?.type).toBe("done");
  });

  it("fails with upstream_error when the connection drops mid-stream", async () => {
    fake.setScenario({ kind: "disconnect", afterChunks: 1 });
    expect((await providerError(collect(adapter().stream(request())))).kind).toBe("upstream_error");
  });

  it("stops with the caller's AbortError when the caller aborts", async () => {
    fake.setScenario({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 50 });
    const ac = new AbortController();
    let deltas = 0;
    const err = await (async () => {
      for await (const e of adapter().stream(request({ signal: ac.signal }))) {
        if (e.type === "delta" && ++deltas === 1) ac.abort();
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error | undefined)?.name).toBe("AbortError");
    expect(err).not.toBeInstanceOf(ProviderError);
    expect(deltas).toBe(1);
  });
});

describe("gemini adapter: errors", () => {
  it("429 RESOURCE_EXHAUSTED is rate_limited, with the wait from RetryInfo.retryDelay", async () => {
    fake.setScenario({ kind: "rate_limited", retryAfterSeconds: 37 });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({
      kind: "rate_limited",
      status: 429,
      retryAfterMs: 37_000,
      provider: "gemini",
    });
    expect(err.message).toContain("You exceeded your current quota");
  });

  it("503 UNAVAILABLE is overloaded", async () => {
    fake.setScenario({ kind: "overloaded" });
    expect(await providerError(adapter().complete(request()))).toMatchObject({
      kind: "overloaded",
      status: 503,
    });
  });

  it("500 is upstream_error", async () => {
    fake.setScenario({ kind: "server_error" });
    expect(await providerError(adapter().complete(request()))).toMatchObject({
      kind: "upstream_error",
      status: 500,
    });
  });

  it("a bad key (400 API_KEY_INVALID) is auth, not invalid_request", async () => {
    fake.setScenario({ kind: "unauthorized" });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({ kind: "auth", status: 400 });
    expect(err.message).toContain("API key not valid");
  });

  it("any other 400 is invalid_request", async () => {
    fake.setScenario({ kind: "bad_request" });
    expect((await providerError(adapter().complete(request()))).kind).toBe("invalid_request");
  });

  it("a hung connection is a timeout after timeoutMs", async () => {
    fake.setScenario({ kind: "hang" });
    expect((await providerError(adapter(250).complete(request()))).kind).toBe("timeout");
  });

  it("a hung stream request is a timeout too", async () => {
    fake.setScenario({ kind: "hang" });
    expect((await providerError(collect(adapter(250).stream(request())))).kind).toBe("timeout");
  });
});
