// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Execution } from "../api/types";
import { controlledSse, fakeApi, renderAs } from "../test-utils";
import { PlaygroundPage } from "./PlaygroundPage";

const execution: Execution = {
  id: "exe_1",
  status: "succeeded",
  source: "playground",
  model: "mock/echo",
  prompt_id: null,
  prompt_version_id: null,
  output: "Echo: hi Ada",
  finish_reason: "stop",
  usage: { input_tokens: 9, output_tokens: 3, cached_input_tokens: 0, reasoning_tokens: 0, total_tokens: 12 },
  cost_usd: "0.0000135",
  latency_ms: 43,
  ttft_ms: 12,
  stream: true,
  error: null,
  user_id: "usr_1",
  api_key_id: null,
  request_id: "req_stream",
  created_at: "2026-01-01T00:00:00Z",
  completed_at: "2026-01-01T00:00:00Z",
};

let sse: ReturnType<typeof controlledSse>;
let sent: unknown;

beforeEach(() => {
  sse = controlledSse();
  vi.stubGlobal(
    "fetch",
    fakeApi({
      "GET /api/v1/prompts": { data: [], next_cursor: null },
      "GET /api/v1/models": { data: [] },
      "POST /api/v1/executions": (init: RequestInit | undefined) => {
        sent = JSON.parse(String(init?.body));
        return sse.response();
      },
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function startRun() {
  renderAs("member", <PlaygroundPage />);
  fireEvent.change(screen.getByLabelText("Content of message 2 (user)"), {
    target: { value: "hi {{name}}" },
  });
  fireEvent.change(await screen.findByLabelText("name"), { target: { value: "Ada" } });
  fireEvent.click(screen.getByRole("button", { name: "Run" }));
  await waitFor(() => expect(sent).toBeTruthy());
}

describe("Playground", () => {
  it("sends the messages, model and variables, streams the deltas in, then shows tokens, cost and latency", async () => {
    await startRun();
    expect(sent).toMatchObject({
      model: "mock/echo",
      stream: true,
      variables: { name: "Ada" },
      messages: [{ role: "system" }, { role: "user", content: "hi {{name}}" }],
    });
    sse.send("start", { id: "exe_1", model: "mock/echo" });
    sse.send("delta", { text: "Echo:" });
    await waitFor(() => expect(screen.getByTestId("output").textContent).toBe("Echo:"));
    expect(screen.getByRole("button", { name: "Stop" })).toBeTruthy();
    sse.send("delta", { text: " hi" });
    await waitFor(() => expect(screen.getByTestId("output").textContent).toBe("Echo: hi"));

    sse.send("done", execution);
    sse.close();
    const metrics = await screen.findByTestId("run-metrics");
    expect(screen.getByTestId("output").textContent).toBe("Echo: hi Ada");
    expect(metrics.textContent).toContain("$0.0000135");
    expect(metrics.textContent).toContain("43 ms");
    expect(metrics.textContent).toContain("Total tokens12");
    expect(screen.getByRole("link", { name: "Open execution exe_1" })).toBeTruthy();
  });

  it("shows the error event's message and request id, keeping the failed execution", async () => {
    await startRun();
    sse.send("start", { id: "exe_2", model: "mock/echo" });
    sse.send("error", {
      error: { code: "provider_error", message: "The provider failed", request_id: "req_err" },
      execution: { ...execution, id: "exe_2", status: "failed", output: null, cost_usd: "0" },
    });
    sse.close();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The provider failed");
    expect(alert.textContent).toContain("request req_err");
    expect(screen.getByRole("link", { name: "Open execution exe_2" })).toBeTruthy();
  });

  it("says so when the stream ends without a result", async () => {
    await startRun();
    sse.send("delta", { text: "partial" });
    sse.close();
    expect((await screen.findByRole("alert")).textContent).toContain(
      "The stream ended before the model finished",
    );
  });
});
