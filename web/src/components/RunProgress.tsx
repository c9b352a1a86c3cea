import type { RunProgress as Progress } from "../api/types";
import { formatProgress, progressPercent } from "../lib/progress";

/**
 * A run's progress: the native <progress> element (its role and value come for free, and it needs no
 * style attribute, which the CSP forbids) and the same numbers in words.
 */
export function RunProgress({
  progress,
  label = "Progress",
  unit = "cells",
  compact = false,
}: {
  progress: Progress;
  label?: string;
  unit?: string;
  compact?: boolean;
}) {
  const pct = progressPercent(progress);
  return (
    <div className={`progress-row ${compact ? "progress-compact" : ""}`}>
      <progress
        className="progress"
        max={100}
        value={pct}
        aria-label={label}
        aria-valuetext={formatProgress(progress, unit)}
      />
      <span className="progress-text" data-testid="progress-text">
        {compact
          ? `${progress.done}/${progress.total} (${pct}%)${progress.failed ? ` · ${progress.failed} failed` : ""}`
          : formatProgress(progress, unit)}
      </span>
    </div>
  );
}
