import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Cell, compareCells } from "./compare.ts";

const cell = (i: number, score: number, passed: boolean): Cell => ({
  item_id: `dsi_${i}`,
  position: i,
  score,
  passed,
  output: `out ${i}`,
  error: null,
});

describe("compareCells", () => {
  it("lists items that stopped passing or lost score as regressions, worst first", () => {
    const base = [
      cell(1, 1, true),
      cell(2, 0.8, true),
      cell(3, 0.2, false),
      cell(4, 1, true),
      cell(5, 0.5, false),
    ];
    const head = [
      cell(1, 1, true),
      cell(2, 0.6, true),
      cell(3, 0.9, true),
      cell(4, 0, false),
      cell(6, 1, true),
    ];
    const r = compareCells(base, head);
    expect(r.summary).toMatchObject({
      compared: 4,
      missing: 2,
      regressed: 2,
      improved: 1,
      unchanged: 1,
      passed_to_failed: 1,
      failed_to_passed: 1,
    });
    expect(r.regressions.map((x) => [x.position, x.reason])).toEqual([
      [4, "passed_to_failed"],
      [2, "score_dropped"],
    ]);
    expect(r.regressions[0]?.base).toEqual({ score: 1, passed: true, output: "out 4", error: null });
    expect(r.summary.base.mean_score).toBeCloseTo((1 + 0.8 + 0.2 + 1) / 4);
    expect(r.summary.head.pass_rate).toBeCloseTo(3 / 4);
    expect(r.items.map((x) => x.change)).toEqual(["unchanged", "regressed", "improved", "regressed"]);
  });

  it("property: compared with itself, nothing regresses; every regression is a gain when the sides swap", () => {
    const cells = fc
      .uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 20 })
      .chain((ids) =>
        fc.tuple(
          ...ids.map((i) =>
            fc.tuple(fc.constant(i), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()),
          ),
        ),
      )
      .map((xs) => xs.map(([i, s, p]) => cell(i, s, p)));
    fc.assert(
      fc.property(cells, cells, (a, b) => {
        expect(compareCells(a, a).summary.regressed).toBe(0);
        const ab = compareCells(a, b);
        const ba = compareCells(b, a);
        expect(ab.summary.compared).toBe(ba.summary.compared);
        expect(ab.summary.passed_to_failed).toBe(ba.summary.failed_to_passed);
        for (const r of ab.regressions) {
          const back = ba.items.find((x) => x.item_id === r.item_id);
          if (r.reason === "score_dropped") expect(back?.delta).toBeGreaterThan(0);
          else expect([back?.base.passed, back?.head.passed]).toEqual([false, true]);
        }
        expect(ab.summary.regressed + ab.summary.improved + ab.summary.unchanged).toBe(ab.summary.compared);
      }),
    );
  });
});
