import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeProviderServer, startFakeProviderServer } from "../../../../test/fakes/provider-server.ts";
import {
  type CompletionRequest,
  type ProviderAdapter,
  ProviderError,
  type StreamEvent,
  textPart,
} from "../types.ts";
import { createAnthropicAdapter } from "./anthropic.ts";

const API_KEY = "sk-ant-test-0123456789";
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
  createAnthropicAdapter({ apiKey: API_KEY, baseUrl: fake.url, timeoutMs });

const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  model: "claude-sonnet-4-5",
  messages: [
    { role: "system", content: [textPart("Be brief.")] },
    { role: "user", content: [textPart("Say hi")] },
    { role: "assistant", content: [textPart("Hi.")] },
    { role: "system", content: [textPart("Answer in French.")] },
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

describe("anthropic adapter: complete", () => {
  it("returns the text, finish reason and the request-id header", async () => {
    fake.setScenario({ kind: "text", text: "Bonjour." });
    const res = await adapter().complete(request());
    expect(res.text).toBe("Bonjour.");
    expect(res.finishReason).toBe("stop");
    expect(res.providerRequestId).toMatch(/^req_fake_anthropic_\d+$/);
    expect(fake.requests[0]?.path).toBe("/v1/messages");
    // @anthropic-ai/sdk 1.x sends the key as a bearer token, no longer as x-api-key
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(fake.requests[0]?.headers["anthropic-version"]).toBeDefined();
  });

  it("normalizes usage: input counts cache reads and writes, cached counts the reads", async () => {
    fake.setScenario({
      kind: "text",
      usage: { input: 50, cacheRead: 2000, cacheWrite: 300, output: 420, reasoning: 120 },
    });
    const res = await adapter().complete(request());
    expect(res.usage).toEqual({
      inputTokens: 50 + 2000 + 300,
      cachedInputTokens: 2000,
      outputTokens: 420,
      reasoningTokens: 120,
    });
  });

  it("moves system messages to `system` and maps the params", async () => {
    await adapter().complete(
      request({ params: { temperature: 0.5, maxTokens: 300, topP: 0.8, stop: ["END"] } }),
    );
    const body = fake.requests[0]?.body;
    expect(body).toMatchObject({
      model: "claude-sonnet-4-5",
      max_tokens: 300,
      temperature: 0.5,
      top_p: 0.8,
      stop_sequences: ["END"],
      system: [
        { type: "text", text: "Be brief." },
        { type: "text", text: "Answer in French." },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Say hi" }] },
      { role: "assistant", content: [{ type: "text", text: "Hi." }] },
      { role: "user", content: [{ type: "text", text: "Again" }] },
    ]);
  });

  it("sends max_tokens 1024 when none is set, since Anthropic requires it", async () => {
    await adapter().complete(request());
    const body = fake.requests[0]?.body;
    expect(body.max_tokens).toBe(1024);
    for (const key of ["temperature", "top_p", "stop_sequences"]) expect(body).not.toHaveProperty(key);
  });

  it("sends images as base64 and url sources", async () => {
    await adapter().complete(
      request({
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBOR" } },
              { type: "image", source: { kind: "url", url: "https://example.com/ant.jpg" } },
              textPart("Describe these."),
            ],
          },
        ],
      }),
    );
    expect(fake.requests[0]?.body.messages[0].content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
      { type: "image", source: { type: "url", url: "https://example.com/ant.jpg" } },
      { type: "text", text: "Describe these." },
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
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["refusal", "content_filter"],
    ["tool_use", "tool_calls"],
    ["pause_turn", "other"],
  ] as const)("maps stop_reason %s to %s", async (raw, expected) => {
    fake.setScenario({ kind: "text", rawFinishReason: raw });
    expect((await adapter().complete(request())).finishReason).toBe(expected);
  });
});

describe("anthropic adapter: stream", () => {
  it("yields the deltas, then one done event with usage from message_start and the last message_delta", async () => {
    fake.setScenario({
      kind: "text",
      text: "Un deux trois quatre",
      finishReason: "length",
      usage: { input: 30, cacheRead: 1000, cacheWrite: 5, output: 64, reasoning: 10 },
    });
    const events = await collect(adapter().stream(request()));
    const deltas = events.filter((e) => e.type === "delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.text).join("")).toBe("Un deux trois quatre");
    expect(events.filter((e) => e.type === "done")).toHaveLength(1);
    expect(events.at(-1)).toEqual({
      type: "done",
      result: {
        text: "Un deux trois quatre",
        finishReason: "length",
        // message_start said output_tokens 1; the final message_delta's 64 must win
        usage: { inputTokens: 1035, cachedInputTokens: 1000, outputTokens: 64, reasoningTokens: 10 },
        providerRequestId: expect.stringMatching(/^req_fake_anthropic_\d+$/),
      },
    });
    expect(fake.requests[0]?.body.stream).toBe(true);
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
    expect(err.message).toContain("Internal server error");
  });

  it("times out when a stream stalls", async () => {
    fake.setScenario({ kind: "stall", afterChunks: 1 });
    expect((await providerError(collect(adapter(300).stream(request())))).kind).toBe("timeout");
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
    expect(deltas).toBe(1);
  });
});

describe("anthropic adapter: errors", () => {
  it("429 is rate_limited with retry-after in ms", async () => {
    fake.setScenario({ kind: "rate_limited", retryAfterSeconds: 12 });
    expect(await providerError(adapter().complete(request()))).toMatchObject({
      kind: "rate_limited",
      status: 429,
      retryAfterMs: 12_000,
      provider: "anthropic",
    });
  });

  it("529 overloaded_error is overloaded", async () => {
    fake.setScenario({ kind: "overloaded" });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({ kind: "overloaded", status: 529 });
    expect(err.message).toContain("Overloaded");
  });

  it("529 on a stream request is overloaded too", async () => {
    fake.setScenario({ kind: "overloaded" });
    expect((await providerError(collect(adapter().stream(request())))).kind).toBe("overloaded");
  });

  it("500 is upstream_error", async () => {
    fake.setScenario({ kind: "server_error" });
    expect(await providerError(adapter().complete(request()))).toMatchObject({
      kind: "upstream_error",
      status: 500,
    });
  });

  it("401 is auth", async () => {
    fake.setScenario({ kind: "unauthorized" });
    const err = await providerError(adapter().complete(request()));
    expect(err).toMatchObject({ kind: "auth", status: 401 });
    expect(err.message).toContain("invalid x-api-key");
  });

  it("400 is invalid_request", async () => {
    fake.setScenario({ kind: "bad_request" });
    expect((await providerError(adapter().complete(request()))).kind).toBe("invalid_request");
  });

  it("a hung connection is a timeout after timeoutMs", async () => {
    fake.setScenario({ kind: "hang" });
    expect((await providerError(adapter(250).complete(request()))).kind).toBe("timeout");
  });
});
