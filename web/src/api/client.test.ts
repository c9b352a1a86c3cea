import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, apiStream, withQuery } from "./client";

function mockFetch(res: Response | Error) {
  const fn = vi.fn(async () => {
    if (res instanceof Error) throw res;
    return res;
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("api", () => {
  it("returns the parsed body and sends JSON with the session cookie", async () => {
    const fetchFn = mockFetch(Response.json({ data: [1] }));
    await expect(api("/api/v1/x", { body: { a: 1 } })).resolves.toEqual({ data: [1] });
    const [url, init] = fetchFn.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/x");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect(init.body).toBe('{"a":1}');
    expect((init.headers as Record<string, string>)["content-type"]).toBe("application/json");
  });

  it("resolves a 204 to undefined", async () => {
    mockFetch(new Response(null, { status: 204 }));
    await expect(api("/api/v1/x", { method: "DELETE" })).resolves.toBeUndefined();
  });

  it("throws the API's own error: code, message, request id and details", async () => {
    mockFetch(
      Response.json(
        {
          error: {
            code: "missing_variables",
            message: "Missing variables: name",
            request_id: "req_1",
            details: { missing: ["name"] },
          },
        },
        { status: 400 },
      ),
    );
    const err = await api("/api/v1/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      code: "missing_variables",
      message: "Missing variables: name",
      requestId: "req_1",
      details: { missing: ["name"] },
    });
  });

  it("explains a non-JSON error by its status, keeping the request id header", async () => {
    mockFetch(
      new Response("<html>Bad gateway</html>", {
        status: 502,
        statusText: "Bad Gateway",
        headers: { "x-request-id": "req_2" },
      }),
    );
    const err = (await api("/api/v1/x").catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("http_502");
    expect(err.message).toMatch(/502 Bad Gateway/);
    expect(err.requestId).toBe("req_2");
  });

  it("says the server is unreachable when fetch itself fails", async () => {
    mockFetch(new TypeError("Failed to fetch"));
    const err = (await api("/api/v1/x").catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ status: 0, code: "network" });
    expect(err.message).toMatch(/Cannot reach/);
  });

  it("lets an abort through as an abort, not as an API error", async () => {
    mockFetch(new DOMException("aborted", "AbortError"));
    const err = await api("/api/v1/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
  });

  it("fails clearly on a 200 that is not JSON", async () => {
    mockFetch(new Response("<html></html>", { status: 200 }));
    await expect(api("/api/v1/x")).rejects.toMatchObject({ code: "bad_response" });
  });
});

describe("apiStream", () => {
  it("throws the JSON error sent before the stream started", async () => {
    mockFetch(
      Response.json(
        { error: { code: "not_found", message: "Model not found", request_id: "req_3" } },
        { status: 404 },
      ),
    );
    await expect(apiStream("/api/v1/executions", {})).rejects.toMatchObject({
      status: 404,
      message: "Model not found",
    });
  });

  it("yields the events of a stream", async () => {
    mockFetch(
      new Response('event: delta\ndata: {"text":"a"}\n\n', {
        headers: { "content-type": "text/event-stream; charset=utf-8", "x-request-id": "req_4" },
      }),
    );
    const { requestId, events } = await apiStream("/api/v1/executions", { stream: true });
    const seen = [];
    for await (const e of events) seen.push(e);
    expect(requestId).toBe("req_4");
    expect(seen).toEqual([{ event: "delta", data: '{"text":"a"}' }]);
  });
});

describe("withQuery", () => {
  it("drops empty values", () => {
    expect(withQuery("/p", { a: "1", b: "", c: undefined, d: null, e: 0 })).toBe("/p?a=1&e=0");
    expect(withQuery("/p", {})).toBe("/p");
  });
});
