import { readSse, type SseEvent } from "./sse";

/**
 * Every API failure becomes an ApiError carrying what the person should see: the API's own message and
 * code, and the request id to quote when asking for help. Nothing here swallows an error.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, requestId: string | null, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Turn a non-2xx response into an ApiError, whatever its body (a proxy's HTML page included). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const headerId = res.headers.get("x-request-id");
  let text = "";
  try {
    text = await res.text();
  } catch {
    // the body could not be read; the status still says what happened
  }
  try {
    const body = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; request_id?: unknown; details?: unknown };
    };
    const e = body.error;
    if (e && typeof e.message === "string") {
      return new ApiError(
        res.status,
        typeof e.code === "string" ? e.code : `http_${res.status}`,
        e.message,
        typeof e.request_id === "string" ? e.request_id : headerId,
        e.details,
      );
    }
  } catch {
    // not JSON: fall through to a message built from the status
  }
  const statusText = res.statusText ? ` ${res.statusText}` : "";
  return new ApiError(
    res.status,
    `http_${res.status}`,
    `The server answered ${res.status}${statusText}${res.status >= 500 ? ": try again in a moment" : ""}`,
    headerId,
  );
}

const networkError = () =>
  new ApiError(0, "network", "Cannot reach the Lectern server. Check that it is running.", null);

async function send(path: string, opts: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  try {
    return await fetch(withQuery(path, opts.query), {
      method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
      headers,
      credentials: "same-origin",
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw networkError();
  }
}

/** A JSON API call. 204 resolves to undefined. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts, "application/json");
  if (!res.ok) throw await errorFromResponse(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (text === "") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(
      res.status,
      "bad_response",
      "The server sent a response that is not JSON",
      res.headers.get("x-request-id"),
    );
  }
}

/**
 * A POST answered with text/event-stream. Errors before the stream starts (auth, validation, missing
 * variables) arrive as ordinary JSON errors and are thrown as ApiError.
 */
export async function apiStream(
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<{ requestId: string | null; events: AsyncGenerator<SseEvent> }> {
  const res = await send(path, { method: "POST", body, ...(signal ? { signal } : {}) }, "text/event-stream");
  if (!res.ok) throw await errorFromResponse(res);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream") || !res.body) {
    throw new ApiError(
      res.status,
      "bad_response",
      "Expected a stream from the server",
      res.headers.get("x-request-id"),
    );
  }
  return { requestId: res.headers.get("x-request-id"), events: readSse(res.body) };
}
