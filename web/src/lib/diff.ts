/**
 * A line diff by longest common subsequence, for comparing prompt versions. Prompts are short, so the
 * quadratic table is fine; the common prefix and suffix are trimmed first so that a one-line change in a
 * long prompt costs almost nothing. Above MAX_CELLS the middle is shown as removed-then-added rather than
 * spending seconds (and hundreds of MB) on a table.
 */

export type DiffLine =
  | { kind: "same"; text: string; oldNo: number; newNo: number }
  | { kind: "del"; text: string; oldNo: number }
  | { kind: "add"; text: string; newNo: number };

export const MAX_CELLS = 4_000_000;

export function splitLines(text: string): string[] {
  if (text === "") return [];
  return text.split(/\r\n|\n|\r/);
}

export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }

  const out: DiffLine[] = [];
  for (let i = 0; i < start; i++)
    out.push({ kind: "same", text: a[i] as string, oldNo: i + 1, newNo: i + 1 });

  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_CELLS) {
    for (let i = start; i < endA; i++) out.push({ kind: "del", text: a[i] as string, oldNo: i + 1 });
    for (let j = start; j < endB; j++) out.push({ kind: "add", text: b[j] as string, newNo: j + 1 });
  } else {
    // table[i*(m+1)+j] = LCS length of a[start+i..endA) and b[start+j..endB): suffixes, so the walk
    // below goes forwards and emits lines in order.
    const w = m + 1;
    const table = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        table[i * w + j] =
          a[start + i] === b[start + j]
            ? (table[(i + 1) * w + j + 1] as number) + 1
            : Math.max(table[(i + 1) * w + j] as number, table[i * w + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      const x = a[start + i] as string;
      if (x === b[start + j]) {
        out.push({ kind: "same", text: x, oldNo: start + i + 1, newNo: start + j + 1 });
        i++;
        j++;
      } else if ((table[(i + 1) * w + j] as number) >= (table[i * w + j + 1] as number)) {
        // Ties prefer the deletion, so a changed block reads as "old lines, then new lines".
        out.push({ kind: "del", text: x, oldNo: start + i + 1 });
        i++;
      } else {
        out.push({ kind: "add", text: b[start + j] as string, newNo: start + j + 1 });
        j++;
      }
    }
    for (; i < n; i++) out.push({ kind: "del", text: a[start + i] as string, oldNo: start + i + 1 });
    for (; j < m; j++) out.push({ kind: "add", text: b[start + j] as string, newNo: start + j + 1 });
  }

  const shift = b.length - a.length;
  for (let i = endA; i < a.length; i++) {
    out.push({ kind: "same", text: a[i] as string, oldNo: i + 1, newNo: i + 1 + shift });
  }
  return out;
}

export function diffText(a: string, b: string): DiffLine[] {
  return diffLines(splitLines(a), splitLines(b));
}

export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind === "add") added++;
    else if (l.kind === "del") removed++;
  }
  return { added, removed };
}

export type FoldedLine = DiffLine | { kind: "fold"; count: number };

/** Collapse runs of unchanged lines longer than 2×context+1, keeping `context` lines around each change. */
export function foldUnchanged(lines: readonly DiffLine[], context = 3): FoldedLine[] {
  const out: FoldedLine[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]?.kind !== "same") {
      out.push(lines[i] as DiffLine);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]?.kind === "same") j++;
    const run = lines.slice(i, j);
    const keepBefore = i === 0 ? 0 : context;
    const keepAfter = j === lines.length ? 0 : context;
    if (run.length > keepBefore + keepAfter + 1) {
      out.push(...run.slice(0, keepBefore));
      out.push({ kind: "fold", count: run.length - keepBefore - keepAfter });
      out.push(...run.slice(run.length - keepAfter));
    } else {
      out.push(...run);
    }
    i = j;
  }
  return out;
}
