/**
 * Progress and score display for evaluation and workflow runs. Integer arithmetic for percentages, so a
 * run never reads "100%" before its last cell is done.
 */

import type { RunProgress, RunStatus } from "../api/types";

export const ACTIVE_STATUSES: readonly string[] = ["queued", "running"];

export function isActiveStatus(status: string | undefined | null): boolean {
  return !!status && ACTIVE_STATUSES.includes(status);
}

/** TanStack Query's refetchInterval for a run: every second while it is queued or running, else never. */
export function pollWhileActive(status: RunStatus | undefined, ms = 1000): number | false {
  return isActiveStatus(status) ? ms : false;
}

/** Whole percent done, rounded down: 100 only when every cell is done. An empty run is 0 %. */
export function progressPercent(p: Pick<RunProgress, "done" | "total">): number {
  if (!(p.total > 0)) return 0;
  const done = Math.min(Math.max(p.done, 0), p.total);
  return Math.floor((done * 100) / p.total);
}

/** "3 of 8 cells (37%) · 1 failed" */
export function formatProgress(p: RunProgress, unit = "cells"): string {
  const failed = p.failed > 0 ? ` · ${p.failed} failed` : "";
  return `${p.done} of ${p.total} ${unit} (${progressPercent(p)}%)${failed}`;
}

/** A 0..1 rate as a percentage: 0.5 → "50%", 2/3 → "66.7%", null → "—". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "—";
  const pct = Math.round(rate * 1000) / 10;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** A 0..1 score with two decimals: 0.8333 → "0.83", null → "—". */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return "—";
  return score.toFixed(2);
}

/** A score change with its sign: 0.25 → "+0.25", -1 → "−1.00", 0 → "0.00". */
export function formatDelta(delta: number): string {
  if (Math.abs(delta) < 0.005) return "0.00";
  return delta > 0 ? `+${delta.toFixed(2)}` : `−${Math.abs(delta).toFixed(2)}`;
}

/** How long a run took (or has taken so far), from its timestamps. */
export function runDuration(
  startedAt: string | null,
  finishedAt: string | null,
  now: Date = new Date(),
): number | null {
  if (!startedAt) return null;
  const start = new Date(startedAt).getTime();
  const end = finishedAt ? new Date(finishedAt).getTime() : now.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

const ENDED_STEPS: readonly string[] = ["succeeded", "failed", "skipped", "cancelled"];

/** A workflow run's steps as progress: ended steps (skipped and cancelled included) out of all. */
export function stepProgress(steps: ReadonlyArray<{ status: string }>): RunProgress {
  return {
    done: steps.filter((s) => ENDED_STEPS.includes(s.status)).length,
    total: steps.length,
    failed: steps.filter((s) => s.status === "failed").length,
  };
}
