import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { keys, useDataset, useDatasetItems, useEvaluationList } from "../api/queries";
import type { Dataset, DatasetItem } from "../api/types";
import { Can, useCan } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import {
  DatasetFileFields,
  type FormatChoice,
  ImportErrors,
  importDatasetFile,
} from "../components/DatasetImport";
import { DescriptionField } from "../components/DescriptionField";
import { LoadMore } from "../components/LoadMore";
import { NameField } from "../components/NameField";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { RunProgress } from "../components/RunProgress";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading, Notice } from "../components/states";
import { type DatasetFile, readDatasetFile } from "../lib/dataset-file";
import { formatDateTime, formatNumber, formatRelative } from "../lib/format";

export function DatasetDetailPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const dataset = useDataset(id);
  const canWrite = useCan("prompts:write");
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const del = useMutation({
    mutationFn: () => api(`/api/v1/datasets/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.datasets });
      navigate("/datasets");
    },
  });
  const copy = useMutation({
    mutationFn: () => api<Dataset>(`/api/v1/datasets/${encodeURIComponent(id)}/copy`, { body: {} }),
    onSuccess: (d) => {
      void qc.invalidateQueries({ queryKey: keys.datasets });
      navigate(`/datasets/${d.id}`);
    },
  });
  const back = <Link href="/datasets">← All datasets</Link>;
  if (dataset.isPending) return <Loading label="Loading the dataset…" />;
  if (dataset.isError) {
    return (
      <PageLoadError title="Dataset" back={back} query={dataset} message="This dataset could not be loaded" />
    );
  }
  const d = dataset.data;
  const exportHref = (format: "csv" | "jsonl") =>
    `/api/v1/datasets/${encodeURIComponent(d.id)}/export?format=${format}`;
  return (
    <>
      <PageHeader
        title={d.name}
        description={d.description || undefined}
        actions={
          <>
            {d.item_count > 0 && (
              <Can permission="executions:run">
                <Link href={`/evaluations/new?dataset=${d.id}`} className="btn btn-primary">
                  Start an evaluation
                </Link>
              </Can>
            )}
            <Can permission="prompts:write">
              <button type="button" className="btn" onClick={() => copy.mutate()} disabled={copy.isPending}>
                {copy.isPending ? "Copying…" : "Copy"}
              </button>
              {!d.frozen && (
                <ConfirmButton
                  label="Delete"
                  confirmLabel="Delete dataset"
                  question="Delete this dataset and its items?"
                  small={false}
                  pending={del.isPending}
                  onConfirm={() => del.mutate()}
                />
              )}
            </Can>
          </>
        }
      >
        <p className="breadcrumb">
          <Link href="/datasets">Datasets</Link> / <span className="mono small">{d.id}</span>
        </p>
      </PageHeader>
      <ErrorMessage error={del.error} title="The dataset was not deleted" />
      <ErrorMessage error={copy.error} title="The dataset was not copied" />
      <section className="panel" aria-labelledby="dataset-summary">
        <h2 id="dataset-summary">Summary</h2>
        <dl className="facts facts-grid">
          <div>
            <dt>Items</dt>
            <dd data-testid="item-count">{formatNumber(d.item_count)}</dd>
          </div>
          <div>
            <dt>State</dt>
            <dd>{d.frozen ? `frozen ${formatRelative(d.frozen_at)} (used by a run)` : "editable"}</dd>
          </div>
          <div>
            <dt>Copied from</dt>
            <dd>
              {d.copied_from_dataset_id ? (
                <Link href={`/datasets/${d.copied_from_dataset_id}`} className="mono small">
                  {d.copied_from_dataset_id}
                </Link>
              ) : (
                "—"
              )}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(d.created_at)}</dd>
          </div>
          <div>
            <dt>Export</dt>
            <dd>
              <a href={exportHref("csv")} download>
                CSV
              </a>
              {" · "}
              <a href={exportHref("jsonl")} download>
                JSONL
              </a>
            </dd>
          </div>
        </dl>
        {canWrite && <EditDataset dataset={d} />}
      </section>
      {canWrite &&
        (d.frozen ? (
          <Notice tone="info">
            A run has used this dataset, so its items are frozen and its results stay reproducible. To add or
            change items, copy it.
          </Notice>
        ) : (
          <ImportPanel dataset={d} />
        ))}
      <Items dataset={d} />
      <RunsOnDataset datasetId={d.id} />
    </>
  );
}

function EditDataset({ dataset }: { dataset: Dataset }) {
  const qc = useQueryClient();
  const [name, setName] = useState(dataset.name);
  const [description, setDescription] = useState(dataset.description);
  const save = useMutation({
    mutationFn: () =>
      api<Dataset>(`/api/v1/datasets/${encodeURIComponent(dataset.id)}`, {
        method: "PATCH",
        body: { name, description },
      }),
    onSuccess: (d) => {
      qc.setQueryData(keys.dataset(d.id), d);
      void qc.invalidateQueries({ queryKey: keys.datasetList });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <details className="disclosure">
      <summary>Edit name and description</summary>
      <form className="form" onSubmit={submit} aria-label="Edit dataset">
        <NameField value={name} onChange={setName} />
        <DescriptionField value={description} onChange={setDescription} />
        <ErrorMessage error={save.error} title="The dataset was not saved" />
        {save.isSuccess && !save.isPending && <Notice>Saved.</Notice>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </details>
  );
}

function ImportPanel({ dataset }: { dataset: Dataset }) {
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<FormatChoice>("auto");
  const [read, setRead] = useState<DatasetFile | null>(null);
  const run = useMutation({
    mutationFn: async () => {
      if (!file) throw new Error("Choose a file first");
      const f = await readDatasetFile(file, format);
      setRead(f);
      return importDatasetFile(dataset.id, f);
    },
    onSuccess: (r) => {
      qc.setQueryData(keys.dataset(dataset.id), r.dataset);
      void qc.invalidateQueries({ queryKey: keys.datasetItems(dataset.id) });
      void qc.invalidateQueries({ queryKey: keys.datasetList });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate();
  };
  return (
    <section className="panel" aria-labelledby="import-title">
      <h2 id="import-title">Add items from a file</h2>
      <form className="form" onSubmit={submit} aria-label="Import a file">
        <DatasetFileFields file={file} onFile={setFile} format={format} onFormat={setFormat} required />
        <ImportErrors error={run.error} file={read} />
        {run.isSuccess && !run.isPending && (
          <Notice>
            Imported {run.data.imported} item{run.data.imported === 1 ? "" : "s"} from {read?.name}.
          </Notice>
        )}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!file || run.isPending}>
            {run.isPending ? "Importing…" : "Import file"}
          </button>
        </div>
      </form>
    </section>
  );
}

function valueText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function Items({ dataset }: { dataset: Dataset }) {
  const items = useDatasetItems(dataset.id);
  const rows: DatasetItem[] = items.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <section className="panel" aria-labelledby="items-title">
      <div className="panel-head">
        <h2 id="items-title">Items</h2>
        {items.isFetching && !items.isPending && <span className="muted small">Updating…</span>}
      </div>
      {items.isPending ? (
        <Loading label="Loading items…" />
      ) : items.isError ? (
        <ErrorMessage
          error={items.error}
          title="Items could not be loaded"
          onRetry={() => void items.refetch()}
        />
      ) : rows.length === 0 ? (
        <EmptyState title="No items yet">
          <p>Import a CSV or JSONL file to add some.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="items-table">
            <thead>
              <tr>
                <th scope="col" className="num col-narrow">
                  #
                </th>
                <th scope="col">Variables</th>
                <th scope="col">Expected</th>
                <th scope="col">Metadata</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((it) => (
                <tr key={it.id}>
                  <td className="num">{it.position}</td>
                  <td>
                    <dl className="kv">
                      {Object.entries(it.variables).map(([k, v]) => (
                        <div key={k}>
                          <dt className="mono">{k}</dt>
                          <dd className="pre">{valueText(v)}</dd>
                        </div>
                      ))}
                    </dl>
                  </td>
                  <td className="pre">{it.expected ?? <span className="muted">—</span>}</td>
                  <td className="mono small">
                    {Object.keys(it.metadata).length ? (
                      JSON.stringify(it.metadata)
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={items} />
    </section>
  );
}

function RunsOnDataset({ datasetId }: { datasetId: string }) {
  const canRead = useCan("executions:read");
  const runs = useEvaluationList({ dataset_id: datasetId }, canRead);
  const rows = runs.data?.pages.flatMap((p) => p.data) ?? [];
  if (!canRead) return null;
  return (
    <section className="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">Evaluation runs on this dataset</h2>
      {runs.isPending ? (
        <Loading label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorMessage
          error={runs.error}
          title="Runs could not be loaded"
          onRetry={() => void runs.refetch()}
        />
      ) : rows.length === 0 ? (
        <p className="muted">No run has used this dataset yet.</p>
      ) : (
        <ul className="plain-list">
          {rows.map((r) => (
            <li key={r.id}>
              <Link href={`/evaluations/${r.id}`}>{r.name || r.id}</Link> <StatusBadge status={r.status} />{" "}
              <span className="muted small">{formatRelative(r.created_at)}</span>
              <RunProgress progress={r.progress} compact label={`Progress of ${r.name || r.id}`} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
