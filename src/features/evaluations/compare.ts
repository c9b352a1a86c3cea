/**
 * Item-by-item comparison of two sets of cells over one dataset (two runs, or two models or prompt versions in
 * one run). Pure, so the regression rule is unit-tested on its own.
 *
 * A regression is an item that passed in base and fails in head, or whose score dropped. Only items finished on
 * both sides are compared; the rest are counted as `missing`.
 */

export interface Cell {
  item_id: string;
  position: number;
  score: number;
  passed: boolean;
  output: string | null;
  error: string | null;
}

/** Scores are means of floats: differences below this are noise, not a change. */
const EPSILON = 1e-9;

const side = (c: Cell) => ({ score: c.score, passed: c.passed });

export function compareCells(base: Cell[], head: Cell[]) {
  const baseByItem = new Map(base.map((c) => [c.item_id, c]));
  const headIds = new Set(head.map((c) => c.item_id));
  const items: Array<{
    item_id: string;
    position: number;
    base: { score: number; passed: boolean };
    head: { score: number; passed: boolean };
    delta: number;
    change: "regressed" | "improved" | "unchanged";
  }> = [];
  const regressions: Array<{
    item_id: string;
    position: number;
    reason: "passed_to_failed" | "score_dropped";
    delta: number;
    base: { score: number; passed: boolean; output: string | null; error: string | null };
    head: { score: number; passed: boolean; output: string | null; error: string | null };
  }> = [];
  let passedToFailed = 0;
  let failedToPassed = 0;
  let baseSum = 0;
  let headSum = 0;
  let basePassed = 0;
  let headPassed = 0;
  for (const h of [...head].sort((x, y) => x.position - y.position)) {
    const b = baseByItem.get(h.item_id);
    if (!b) continue;
    const delta = h.score - b.score;
    const lostPass = b.passed && !h.passed;
    const gainedPass = !b.passed && h.passed;
    if (lostPass) passedToFailed++;
    if (gainedPass) failedToPassed++;
    const regressed = lostPass || delta < -EPSILON;
    const improved = !regressed && (gainedPass || delta > EPSILON);
    baseSum += b.score;
    headSum += h.score;
    if (b.passed) basePassed++;
    if (h.passed) headPassed++;
    items.push({
      item_id: h.item_id,
      position: h.position,
      base: side(b),
      head: side(h),
      delta,
      change: regressed ? "regressed" : improved ? "improved" : "unchanged",
    });
    if (regressed) {
      regressions.push({
        item_id: h.item_id,
        position: h.position,
        reason: lostPass ? "passed_to_failed" : "score_dropped",
        delta,
        base: { ...side(b), output: b.output, error: b.error },
        head: { ...side(h), output: h.output, error: h.error },
      });
    }
  }
  const n = items.length;
  const missing =
    base.filter((c) => !headIds.has(c.item_id)).length +
    head.filter((c) => !baseByItem.has(c.item_id)).length;
  // Worst first: what a reviewer reads before anything else.
  regressions.sort((x, y) => x.delta - y.delta || x.position - y.position);
  return {
    summary: {
      compared: n,
      missing,
      regressed: regressions.length,
      improved: items.filter((i) => i.change === "improved").length,
      unchanged: items.filter((i) => i.change === "unchanged").length,
      passed_to_failed: passedToFailed,
      failed_to_passed: failedToPassed,
      base: { mean_score: n ? baseSum / n : null, pass_rate: n ? basePassed / n : null },
      head: { mean_score: n ? headSum / n : null, pass_rate: n ? headPassed / n : null },
    },
    regressions,
    items,
  };
}
