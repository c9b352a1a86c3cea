import type { ReactNode } from "react";
import { isApiError } from "../api/client";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

interface Detail {
  path?: string;
  message?: string;
}

/** Field-level messages from a validation_failed error, and the names in a missing_variables error. */
function detailLines(details: unknown): string[] {
  if (Array.isArray(details)) {
    return details
      .filter((d): d is Detail => typeof d === "object" && d !== null)
      .map((d) => [d.path, d.message].filter(Boolean).join(": "))
      .filter(Boolean);
  }
  if (details && typeof details === "object" && "missing" in details) {
    const missing = (details as { missing: unknown }).missing;
    if (Array.isArray(missing)) return [`Missing: ${missing.join(", ")}`];
  }
  return [];
}

/**
 * The API's own message, for the person to read, with the code and request id in small print
 * (the id is what the server's log is searchable by).
 */
export function ErrorMessage({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  if (!error) return null;
  const api = isApiError(error) ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  const details = api ? detailLines(api.details) : [];
  return (
    <div className="alert alert-error" role="alert">
      {title && <p className="alert-title">{title}</p>}
      <p className="alert-message">{message}</p>
      {details.length > 0 && (
        <ul className="alert-details">
          {details.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
      {api && (
        <p className="alert-meta">
          {api.code}
          {api.status >= 400 ? ` · HTTP ${api.status}` : ""}
          {api.requestId ? ` · request ${api.requestId}` : ""}
        </p>
      )}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children && <div className="state-body">{children}</div>}
    </div>
  );
}

export function NoAccess({ what }: { what: string }) {
  return (
    <EmptyState title="Not available to your role">
      <p>Your role in this organization does not allow you to {what}. An owner can change your role.</p>
    </EmptyState>
  );
}

export function Notice({ children, tone = "success" }: { children: ReactNode; tone?: "success" | "info" }) {
  return (
    <div className={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}
