import type { z } from "zod";
import type { DatasetItemVariables } from "../../lib/db-types.ts";
import { CsvError, parseCsv, toCsv } from "./csv.ts";
import { itemInput, variableName } from "./schemas.ts";

/**
 * Dataset files. JSONL: one JSON object per line, `{"variables": {...}, "expected": "..." | null,
 * "metadata": {...}}`; blank lines are skipped. CSV (RFC 4180, header row first): the column `expected`,
 * the column `metadata` (a JSON object, or empty), and every other column is a variable, its values strings.
 * An empty `expected` cell means no expected output. Errors carry the 1-based line (the CSV header is line 1).
 */

export interface Item {
  variables: DatasetItemVariables;
  expected: string | null;
  metadata: Record<string, unknown>;
}

export interface LineError {
  line: number;
  message: string;
}

export type Parsed = { items: Item[]; errors: LineError[] };

/** At most this many bad lines are reported; one fix-and-retry cycle rarely needs more. */
export const MAX_REPORTED_ERRORS = 100;

const issueText = (err: z.ZodError) =>
  err.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");

/** Validate one item (API body, JSONL line or CSV row) into its stored form. */
export function toItem(raw: unknown): { item: Item } | { error: string } {
  const r = itemInput.safeParse(raw);
  if (!r.success) return { error: issueText(r.error) };
  return {
    item: { variables: r.data.variables, expected: r.data.expected ?? null, metadata: r.data.metadata ?? {} },
  };
}

function push(errors: LineError[], line: number, message: string) {
  if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, message });
}

export function parseJsonl(text: string): Parsed {
  const items: Item[] = [];
  const errors: LineError[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      push(errors, line, `not valid JSON: ${(err as Error).message}`);
      return;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      push(errors, line, 'each line must be a JSON object like {"variables": {...}, "expected": "..."}');
      return;
    }
    const r = toItem(value);
    if ("error" in r) push(errors, line, r.error);
    else items.push(r.item);
  });
  return { items, errors };
}

export function parseDatasetCsv(text: string): Parsed {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) return { items: [], errors: [{ line: err.line, message: err.message }] };
    throw err;
  }
  const [header, ...rows] = records;
  if (!header)
    return { items: [], errors: [{ line: 1, message: "the file is empty; expected a header row" }] };
  const errors: LineError[] = [];
  const columns = header.fields.map((f) => f.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) push(errors, header.line, `column "${c}" appears twice`);
    seen.add(c);
    if (c === "expected" || c === "metadata") continue;
    const ok = variableName.safeParse(c);
    if (!ok.success)
      push(errors, header.line, `column "${c}" is not a variable name: ${issueText(ok.error)}`);
  }
  if (errors.length) return { items: [], errors };
  const items: Item[] = [];
  for (const row of rows) {
    if (row.fields.length !== columns.length) {
      push(errors, row.line, `expected ${columns.length} fields, found ${row.fields.length}`);
      continue;
    }
    const variables: Record<string, string> = {};
    let expected: string | null = null;
    let metadata: unknown = {};
    let bad: string | null = null;
    columns.forEach((c, i) => {
      const v = row.fields[i] as string;
      if (c === "expected") expected = v === "" ? null : v;
      else if (c === "metadata") {
        if (v.trim() === "") return;
        try {
          metadata = JSON.parse(v);
        } catch (err) {
          bad = `metadata: not valid JSON: ${(err as Error).message}`;
        }
      } else variables[c] = v;
    });
    if (bad) {
      push(errors, row.line, bad);
      continue;
    }
    const r = toItem({ variables, expected, metadata });
    if ("error" in r) push(errors, row.line, r.error);
    else items.push(r.item);
  }
  return { items, errors };
}

export function itemsToJsonl(items: Item[]): string {
  return items
    .map((i) => JSON.stringify({ variables: i.variables, expected: i.expected, metadata: i.metadata }))
    .map((l) => `${l}\n`)
    .join("");
}

/** Variables columns (sorted) then expected and metadata. Values become strings: CSV has no types. */
export function itemsToCsv(items: Item[]): string {
  const names = [...new Set(items.flatMap((i) => Object.keys(i.variables)))].sort();
  const rows = items.map((i) => [
    ...names.map((n) => (Object.hasOwn(i.variables, n) ? String(i.variables[n]) : "")),
    i.expected ?? "",
    Object.keys(i.metadata).length ? JSON.stringify(i.metadata) : "",
  ]);
  return toCsv([[...names, "expected", "metadata"], ...rows]);
}
