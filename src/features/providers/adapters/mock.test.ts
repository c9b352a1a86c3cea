import { describe, expect, it } from "vitest";
import { type CompletionRequest, ProviderError, type StreamEvent, textPart } from "../types.ts";
import { createAdapter } from "./index.ts";
import { createMockAdapter, estimateTokens, MOCK_IMAGE_TOKENS, mockInputTokens } from "./mock.ts";

const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  model: "echo",
  messages: [
    { role: "system", content: [textPart("You are terse.")] },
    { role: "user", content: [textPart("first question")] },
    { role: "assistant", content: [textPart("first answer")] },
    { role: "user", content: [textPart("Hello, mock!")] },
  ],
  params: {},
  ...over,
});

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const fast = createMockAdapter({ latencyMs: 0 });

describe("mock adapter", () => {
  it("echo replies with the last user message and counts tokens by the documented estimate", async () => {
    const res = await fast.complete(request());
    expect(res.text).toBe("Echo: Hello, mock!");
    expect(res.finishReason).toBe("stop");
    // ceil(chars/4) + 4 per message: 14, 14, 12 and 12 characters
    expect(res.usage).toEqual({
      inputTokens: 4 + 4 + (4 + 4) + (3 + 4) + (3 + 4),
      outputTokens: Math.ceil("Echo: Hello, mock!".length / 4),
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
    expect(fast.provider).toBe("mock");
  });

  it("counts each image as a fixed number of tokens", () => {
    const withImages = mockInputTokens([
      {
        role: "user",
        content: [
          textPart("abcd"),
          { type: "image", source: { kind: "url", url: "https://example.com/a.png" } },
          { type: "image", source: { kind: "base64", mediaType: "image/png", data: "x".repeat(10_000) } },
        ],
      },
    ]);
    expect(withImages).toBe(1 + 2 * MOCK_IMAGE_TOKENS + 4);
  });

  it("is deterministic: the same request gives the same result, a different one a different lorem", async () => {
    const a = await fast.complete(request({ model: "lorem" }));
    const b = await createMockAdapter({ latencyMs: 0 }).complete(request({ model: "lorem" }));
    expect(b).toEqual(a);
    const other = await fast.complete(
      request({ model: "lorem", messages: [{ role: "user", content: [textPart("something else")] }] }),
    );
    expect(other.text).not.toBe(a.text);
    expect(a.text.split(" ").length).toBeGreaterThanOrEqual(20);
    expect(a.usage.outputTokens).toBe(estimateTokens(a.text));
  });

  it("truncates to maxTokens and reports finishReason length", async () => {
    const full = await fast.complete(request({ model: "lorem" }));
    expect(full.usage.outputTokens).toBeGreaterThan(10);
    const cut = await fast.complete(request({ model: "lorem", params: { maxTokens: 10 } }));
    expect(cut.finishReason).toBe("length");
    expect(cut.usage.outputTokens).toBe(10);
    expect(cut.text).toBe(full.text.slice(0, 40));
  });

  it("does not report length when the reply fits in maxTokens", async () => {
    const res = await fast.complete(request({ params: { maxTokens: 1000 } }));
    expect(res.finishReason).toBe("stop");
  });

  it("cuts the reply at a stop sequence", async () => {
    const res = await fast.complete(request({ params: { stop: [","] } }));
    expect(res.text).toBe("Echo: Hello");
    expect(res.finishReason).toBe("stop");
  });

  it("streams word deltas that add up to the complete() text, then one done with the same result", async () => {
    const req = request({ model: "lorem", params: { maxTokens: 30 } });
    const expected = await fast.complete(req);
    const events = await collect(fast.stream(req));
    const deltas = events.filter((e) => e.type === "delta");
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.map((d) => d.text).join("")).toBe(expected.text);
    expect(events.filter((e) => e.type === "done")).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: "done", result: expected });
  });

  it("the error model always fails with upstream_error", async () => {
    const err = await fast.complete(request({ model: "error" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: "upstream_error", provider: "mock" });
    await expect(collect(fast.stream(request({ model: "error" })))).rejects.toMatchObject({
      kind: "upstream_error",
    });
  });

  it("an unknown model is invalid_request", async () => {
    await expect(fast.complete(request({ model: "gpt-17" }))).rejects.toMatchObject({
      kind: "invalid_request",
    });
  });

  it("complete waits latencyMs; slow waits longer", async () => {
    const mock = createMockAdapter({ latencyMs: 120 });
    let started = performance.now();
    await mock.complete(request());
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);

    const ac = new AbortController();
    started = performance.now();
    setTimeout(() => ac.abort(), 400);
    // "slow" would take 1120 ms; the abort at 400 ms proves it was still waiting past the plain latency
    await expect(mock.complete(request({ model: "slow", signal: ac.signal }))).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("spreads the latency over the stream", async () => {
    const mock = createMockAdapter({ latencyMs: 200 });
    const started = performance.now();
    const times: number[] = [];
    for await (const e of mock.stream(request({ model: "lorem", params: { maxTokens: 20 } }))) {
      if (e.type === "delta") times.push(performance.now() - started);
    }
    expect(times[0]).toBeLessThan(150);
    expect(times.at(-1)).toBeGreaterThanOrEqual(180);
  });

  it("honours an abort mid-stream", async () => {
    const mock = createMockAdapter({ latencyMs: 500 });
    const ac = new AbortController();
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of mock.stream(request({ model: "lorem", signal: ac.signal }))) {
        if (e.type === "delta") seen.push(e.text);
        if (seen.length === 2) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(seen).toHaveLength(2);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(fast.complete(request({ signal: ac.signal }))).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("createAdapter", () => {
  it("builds the mock without a credential, with the given latency", async () => {
    const mock = createAdapter("mock", undefined, { mockLatencyMs: 0 });
    expect(mock.provider).toBe("mock");
    expect((await mock.complete(request())).text).toBe("Echo: Hello, mock!");
  });

  it.each(["openai", "anthropic", "gemini", "openai-compatible"] as const)(
    "builds %s from its config",
    (kind) => {
      const adapter = createAdapter(
        kind,
        { apiKey: "k", baseUrl: "http://127.0.0.1:9", timeoutMs: 1000 },
        {
          mockLatencyMs: 0,
        },
      );
      expect(adapter.provider).toBe(kind);
    },
  );

  it("refuses a real provider without a credential", () => {
    expect(() => createAdapter("anthropic", undefined, { mockLatencyMs: 0 })).toThrow(ProviderError);
  });
});
