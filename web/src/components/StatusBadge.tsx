/** Statuses of executions, keys, and evaluation and workflow runs and steps, each with a colour and its word. */
export function StatusBadge({ status }: { status: string }) {
  const tone =
    status === "succeeded" || status === "active"
      ? "ok"
      : status === "failed" || status === "revoked"
        ? "bad"
        : status === "running" || status === "queued"
          ? "info"
          : "muted";
  return <span className={`badge badge-${tone}`}>{status}</span>;
}

export function LabelChip({ label, version }: { label: string; version?: number }) {
  return (
    <span className={`chip ${label === "production" ? "chip-production" : ""}`}>
      {label}
      {version !== undefined && <span className="chip-version">v{version}</span>}
    </span>
  );
}
