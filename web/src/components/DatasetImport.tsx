import { useId } from "react";
import { api, isApiError } from "../api/client";
import type { Dataset, DatasetFormat } from "../api/types";
import {
  ACCEPT_DATASET_FILES,
  type DatasetFile,
  excerptLines,
  FileReadError,
  formatBytes,
  importLineErrors,
} from "../lib/dataset-file";
import { ErrorMessage } from "./states";

export type FormatChoice = DatasetFormat | "auto";

/** Append a read file's items to a dataset (JSON `{format, content}`, so no raw-body content type). */
export function importDatasetFile(datasetId: string, file: DatasetFile) {
  return api<{ imported: number; dataset: Dataset }>(
    `/api/v1/datasets/${encodeURIComponent(datasetId)}/import`,
    { body: { format: file.format, content: file.content } },
  );
}

/** The file input and the format choice. */
export function DatasetFileFields({
  file,
  onFile,
  format,
  onFormat,
  required = false,
  label = "File (CSV or JSONL)",
}: {
  file: File | null;
  onFile: (f: File | null) => void;
  format: FormatChoice;
  onFormat: (f: FormatChoice) => void;
  required?: boolean;
  label?: string;
}) {
  const ids = { file: useId(), format: useId(), hint: useId() };
  return (
    <div className="row">
      <div className="field grow">
        <label htmlFor={ids.file}>{label}</label>
        <input
          id={ids.file}
          type="file"
          accept={ACCEPT_DATASET_FILES}
          required={required}
          aria-describedby={ids.hint}
          onChange={(e) => onFile(e.target.files?.[0] ?? null)}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.format}>Format</label>
        <select id={ids.format} value={format} onChange={(e) => onFormat(e.target.value as FormatChoice)}>
          <option value="auto">Detect from the file</option>
          <option value="csv">CSV</option>
          <option value="jsonl">JSONL</option>
        </select>
      </div>
      <p id={ids.hint} className="muted small file-hint">
        {file ? `${file.name}, ${formatBytes(file.size)}. ` : ""}
        CSV: a header row, then one item per row; the <code>expected</code> and <code>metadata</code> (JSON)
        columns are special, every other column is a variable. JSONL: one{" "}
        <code>{'{"variables": {…}, "expected": "…"}'}</code> per line. A file with any bad line is refused
        whole.
      </p>
    </div>
  );
}

/**
 * Why an import failed. A refused file lists every bad line the API reported, with the line's own text,
 * so the person can fix them all at once.
 */
export function ImportErrors({ error, file }: { error: unknown; file: DatasetFile | null }) {
  if (!error) return null;
  if (error instanceof FileReadError) {
    return (
      <div className="alert alert-error" role="alert">
        <p className="alert-title">The file could not be used</p>
        <p className="alert-message">{error.message}</p>
      </div>
    );
  }
  const lines = importLineErrors(error);
  if (lines.length === 0) return <ErrorMessage error={error} title="The file was not imported" />;
  const text = file ? new Map(excerptLines(file.content, lines).map((l) => [l.line, l.text])) : new Map();
  return (
    <div className="alert alert-error" role="alert" data-testid="import-errors">
      <p className="alert-title">
        {file ? file.name : "The file"} was not imported:{" "}
        {lines.length === 1 ? "1 bad line" : `${lines.length} bad lines`}. Nothing was added.
      </p>
      <table className="line-errors">
        <caption className="sr-only">Bad lines</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Problem</th>
            <th scope="col">Content</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a line can have several errors
            <tr key={`${l.line}-${i}`}>
              <th scope="row" className="num mono">
                {l.line}
              </th>
              <td>{l.message}</td>
              <td className="mono small line-text">{text.get(l.line) ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {isApiError(error) && (
        <p className="alert-meta">
          {error.code} · HTTP {error.status}
          {error.requestId ? ` · request ${error.requestId}` : ""}
        </p>
      )}
    </div>
  );
}
