import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DiffLine, diffLines, diffStats, diffText, foldUnchanged, MAX_CELLS, splitLines } from "./diff";

const render = (lines: DiffLine[]) =>
  lines.map((l) => `${l.kind === "same" ? " " : l.kind === "add" ? "+" : "-"}${l.text}`);

/** An independent LCS length (memoised recursion), to check that the diff keeps as much as possible. */
function lcsLength(a: string[], b: string[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === a.length || j === b.length) return 0;
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const v = a[i] === b[j] ? 1 + go(i + 1, j + 1) : Math.max(go(i + 1, j), go(i, j + 1));
    memo.set(key, v);
    return v;
  };
  return go(0, 0);
}

describe("diffLines", () => {
  it("marks nothing on identical input", () => {
    expect(render(diffLines(["a", "b"], ["a", "b"]))).toEqual([" a", " b"]);
  });

  it("adds everything to an empty old side and removes everything from an empty new side", () => {
    expect(render(diffLines([], ["x", "y"]))).toEqual(["+x", "+y"]);
    expect(render(diffLines(["x", "y"], []))).toEqual(["-x", "-y"]);
    expect(diffLines([], [])).toEqual([]);
  });

  it("shows a changed line as the old line removed, then the new one added", () => {
    expect(render(diffLines(["a", "b", "c"], ["a", "B", "c"]))).toEqual([" a", "-b", "+B", " c"]);
  });

  it("keeps the longest common subsequence in the middle of a change", () => {
    const out = diffLines(["a", "b", "c", "d", "e"], ["x", "b", "d", "y", "e"]);
    expect(render(out)).toEqual(["-a", "+x", " b", "-c", " d", "+y", " e"]);
  });

  it("numbers lines on both sides, including after the trimmed prefix and suffix", () => {
    const out = diffLines(["p", "a", "s"], ["p", "b", "c", "s"]);
    expect(out).toEqual([
      { kind: "same", text: "p", oldNo: 1, newNo: 1 },
      { kind: "del", text: "a", oldNo: 2 },
      { kind: "add", text: "b", newNo: 2 },
      { kind: "add", text: "c", newNo: 3 },
      { kind: "same", text: "s", oldNo: 3, newNo: 4 },
    ]);
  });

  it("falls back to remove-then-add when the table would be too large", () => {
    const n = Math.ceil(Math.sqrt(MAX_CELLS)) + 1;
    const a = Array.from({ length: n }, (_, i) => `a${i}`);
    const b = Array.from({ length: n }, (_, i) => (i === 5 ? "same" : `b${i}`));
    a[7] = "same";
    const out = diffLines(a, b);
    expect(diffStats(out)).toEqual({ removed: n, added: n });
  });

  it("reconstructs both sides and keeps a longest common subsequence (property)", () => {
    const line = fc.constantFrom("a", "b", "c", "d", "");
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(line, { maxLength: 12 }), (a, b) => {
        const out = diffLines(a, b);
        expect(out.filter((l) => l.kind !== "add").map((l) => l.text)).toEqual(a);
        expect(out.filter((l) => l.kind !== "del").map((l) => l.text)).toEqual(b);
        expect(out.filter((l) => l.kind === "same").length).toBe(lcsLength(a, b));
      }),
      { numRuns: 300 },
    );
  });
});

describe("diffText and splitLines", () => {
  it("splits on any newline convention, and treats the empty string as no lines", () => {
    expect(splitLines("a\r\nb\nc\rd")).toEqual(["a", "b", "c", "d"]);
    expect(splitLines("")).toEqual([]);
    expect(render(diffText("one\ntwo", "one\r\ntwo\nthree"))).toEqual([" one", " two", "+three"]);
  });
});

describe("foldUnchanged", () => {
  it("collapses a long unchanged run, keeping context around the change", () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const b = [...a];
    b[10] = "changed";
    const folded = foldUnchanged(diffLines(a, b), 2);
    expect(folded[0]).toEqual({ kind: "fold", count: 8 });
    expect(folded.filter((l) => l.kind === "fold")).toEqual([
      { kind: "fold", count: 8 },
      { kind: "fold", count: 7 },
    ]);
    expect(folded.flatMap((l) => (l.kind === "fold" ? [] : [l.text]))).toEqual([
      "l8",
      "l9",
      "l10",
      "changed",
      "l11",
      "l12",
    ]);
  });

  it("leaves short runs alone", () => {
    const out = diffLines(["a", "b", "c"], ["a", "x", "c"]);
    expect(foldUnchanged(out, 3)).toEqual(out);
  });
});
