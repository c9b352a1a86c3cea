/**
 * Reading a dataset file the person picked, for POST /api/v1/datasets/{id}/import as JSON
 * `{format, content}`. The server parses and validates every line; the console only decides the format,
 * reads the text and shows the server's per-line errors.
 */

import { isApiError } from "../api/client";
import type { DatasetFormat, LineError } from "../api/types";

/** The server's import limit (IMPORT_BODY_LIMIT); a larger file is refused before it is read. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

export const ACCEPT_DATASET_FILES =
  ".csv,.jsonl,.ndjson,.json,text/csv,application/x-ndjson,application/jsonl";

/** CSV or JSONL from the file's name, then its media type; null when neither says. */
export function detectFormat(name: string, type = ""): DatasetFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson") || lower.endsWith(".json")) return "jsonl";
  const mt = type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (mt === "text/csv" || mt === "application/csv") return "csv";
  if (mt === "application/x-ndjson" || mt === "application/jsonl" || mt === "application/json")
    return "jsonl";
  return null;
}

/** A guess from the text itself, for a file whose name and type say nothing: JSON objects or not. */
export function sniffFormat(content: string): DatasetFormat {
  const first = content.replace(/^\uFEFF/, "").trimStart();
  return first.startsWith("{") ? "jsonl" : "csv";
}

export class FileReadError extends Error {
  override readonly name = "FileReadError";
}

function readText(file: Blob): Promise<string> {
  if (typeof file.text === "function") return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsText(file);
  });
}

export interface DatasetFile {
  name: string;
  format: DatasetFormat;
  content: string;
  /** the number of non-empty lines, for "12 lines read" */
  lines: number;
}

/**
 * Read a picked file as text. `format` overrides detection ("auto" detects from the name, the type, then
 * the content). Throws FileReadError with a message for the person: too large, empty, unreadable.
 */
export async function readDatasetFile(
  file: File,
  format: DatasetFormat | "auto" = "auto",
  maxBytes = MAX_IMPORT_BYTES,
): Promise<DatasetFile> {
  if (file.size > maxBytes) {
    throw new FileReadError(
      `${file.name} is ${formatBytes(file.size)}; the largest file an import takes is ${formatBytes(maxBytes)}`,
    );
  }
  let content: string;
  try {
    content = await readText(file);
  } catch (err) {
    throw new FileReadError(`${file.name} could not be read: ${(err as Error).message}`);
  }
  if (content.replace(/^\uFEFF/, "").trim() === "") throw new FileReadError(`${file.name} is empty`);
  const chosen = format === "auto" ? (detectFormat(file.name, file.type) ?? sniffFormat(content)) : format;
  return { name: file.name, format: chosen, content, lines: countLines(content) };
}

export function countLines(content: string): number {
  return content.split(/\r\n|\n|\r/).filter((l) => l.trim() !== "").length;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The per-line errors of a refused import (400 validation_failed, details [{line, message}]), by line. */
export function importLineErrors(err: unknown): LineError[] {
  if (!isApiError(err) || !Array.isArray(err.details)) return [];
  return err.details
    .filter(
      (d): d is LineError =>
        typeof d === "object" &&
        d !== null &&
        typeof (d as LineError).line === "number" &&
        typeof (d as LineError).message === "string",
    )
    .map((d) => ({ line: d.line, message: d.message }))
    .sort((a, b) => a.line - b.line);
}

/** Up to `around` lines either side of each bad line, for showing the error in its place. */
export function excerptLines(
  content: string,
  errors: LineError[],
  around = 0,
): Array<{ line: number; text: string; bad: boolean }> {
  const lines = content.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const bad = new Set(errors.map((e) => e.line));
  const wanted = new Set<number>();
  for (const e of errors)
    for (let l = e.line - around; l <= e.line + around; l++) if (l >= 1 && l <= lines.length) wanted.add(l);
  return [...wanted]
    .sort((a, b) => a - b)
    .map((line) => ({ line, text: lines[line - 1] ?? "", bad: bad.has(line) }));
}
