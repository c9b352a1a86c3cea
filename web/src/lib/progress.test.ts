import { describe, expect, it } from "vitest";
import {
  formatDelta,
  formatProgress,
  formatRate,
  formatScore,
  isActiveStatus,
  pollWhileActive,
  progressPercent,
  runDuration,
  stepProgress,
} from "./progress";

describe("progress", () => {
  it("rounds down, so a run reads 100% only when every cell is done", () => {
    expect(progressPercent({ done: 0, total: 4 })).toBe(0);
    expect(progressPercent({ done: 1, total: 3 })).toBe(33);
    expect(progressPercent({ done: 2, total: 3 })).toBe(66);
    expect(progressPercent({ done: 999, total: 1000 })).toBe(99);
    expect(progressPercent({ done: 4, total: 4 })).toBe(100);
  });

  it("treats an empty run as 0% and clamps counts outside 0..total", () => {
    expect(progressPercent({ done: 0, total: 0 })).toBe(0);
    expect(progressPercent({ done: 7, total: 4 })).toBe(100);
    expect(progressPercent({ done: -1, total: 4 })).toBe(0);
  });

  it("says the numbers in words, failures included", () => {
    expect(formatProgress({ done: 3, total: 8, failed: 0 })).toBe("3 of 8 cells (37%)");
    expect(formatProgress({ done: 4, total: 4, failed: 1 })).toBe("4 of 4 cells (100%) · 1 failed");
    expect(formatProgress({ done: 1, total: 3, failed: 0 }, "steps")).toBe("1 of 3 steps (33%)");
  });

  it("polls every second while queued or running, and stops after", () => {
    expect(pollWhileActive("queued")).toBe(1000);
    expect(pollWhileActive("running")).toBe(1000);
    for (const s of ["succeeded", "failed", "cancelled"] as const) expect(pollWhileActive(s)).toBe(false);
    expect(pollWhileActive(undefined)).toBe(false);
    expect(isActiveStatus("running")).toBe(true);
    expect(isActiveStatus(null)).toBe(false);
  });

  it("counts a workflow run's ended steps, skipped and cancelled included", () => {
    expect(
      stepProgress([
        { status: "succeeded" },
        { status: "failed" },
        { status: "skipped" },
        { status: "running" },
        { status: "pending" },
      ]),
    ).toEqual({ done: 3, total: 5, failed: 1 });
  });
});

describe("scores and rates", () => {
  it("formats rates as percentages and scores with two decimals", () => {
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(0.5)).toBe("50%");
    expect(formatRate(2 / 3)).toBe("66.7%");
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(null)).toBe("—");
    expect(formatScore(0.8333)).toBe("0.83");
    expect(formatScore(null)).toBe("—");
  });

  it("signs deltas, and calls a rounding-size change none", () => {
    expect(formatDelta(0.25)).toBe("+0.25");
    expect(formatDelta(-1)).toBe("−1.00");
    expect(formatDelta(0.001)).toBe("0.00");
  });
});

describe("runDuration", () => {
  it("measures to the end, or to now while running", () => {
    expect(runDuration("2026-01-01T00:00:00Z", "2026-01-01T00:00:02.500Z")).toBe(2500);
    expect(runDuration("2026-01-01T00:00:00Z", null, new Date("2026-01-01T00:00:10Z"))).toBe(10_000);
    expect(runDuration(null, null)).toBeNull();
  });
});
