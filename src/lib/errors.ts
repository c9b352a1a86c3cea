/**
 * One closed set of error codes, mapped to HTTP status in exactly one table.
 * Services throw AppError; the single onError handler in app.ts renders
 * `{"error":{"code","message","request_id","details?"}}`.
 */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  missing_variables: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  budget_exceeded: 402,
  internal: 500,
  provider_error: 502,
  provider_unavailable: 503,
  provider_timeout: 504,
  not_ready: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, details?: unknown, headers?: Record<string, string>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string): AppError => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You do not have permission for this action"): AppError =>
  new AppError("forbidden", message);
export const conflict = (message: string, details?: unknown): AppError =>
  new AppError("conflict", message, details);
export const badRequest = (message: string, details?: unknown): AppError =>
  new AppError("bad_request", message, details);
