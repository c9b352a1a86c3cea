import { useId } from "react";
import { Link, useSearchParams } from "wouter";
import { useDatasetList, useEvaluationList, usePromptOptions } from "../api/queries";
import { Can } from "../auth";
import { LoadMore } from "../components/LoadMore";
import { PageHeader } from "../components/PageHeader";
import { RunProgress } from "../components/RunProgress";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatDateTime, formatRelative } from "../lib/format";

export function EvaluationsPage() {
  const [search, setSearch] = useSearchParams();
  const status = search.get("status") ?? "";
  const datasetId = search.get("dataset_id") ?? "";
  const filters = {
    ...(status ? { status } : {}),
    ...(datasetId ? { dataset_id: datasetId } : {}),
  };
  const list = useEvaluationList(filters);
  const datasets = useDatasetList();
  const prompts = usePromptOptions();
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const datasetName = (id: string) => datasets.data?.find((d) => d.id === id)?.name ?? id;
  const promptName = (id: string) => prompts.data?.find((p) => p.id === id)?.name ?? id;
  const set = (key: string, value: string) =>
    setSearch(
      (s) => {
        const out = new URLSearchParams(s);
        if (value) out.set(key, value);
        else out.delete(key);
        return out;
      },
      { replace: true },
    );
  const ids = { status: useId(), dataset: useId() };
  const anyFilter = !!(status || datasetId);

  return (
    <>
      <PageHeader
        title="Evaluations"
        description="Runs of prompt versions × models over a dataset, each output scored by evaluators."
        actions={
          <>
            <Link href="/datasets" className="btn">
              Datasets
            </Link>
            <Can permission="executions:run">
              <Link href="/evaluations/new" className="btn btn-primary">
                New evaluation
              </Link>
            </Can>
          </>
        }
      />
      <form className="filters" aria-label="Filter evaluation runs" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select id={ids.status} value={status} onChange={(e) => set("status", e.target.value)}>
            <option value="">Any status</option>
            {["queued", "running", "succeeded", "failed", "cancelled"].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.dataset}>Dataset</label>
          <select id={ids.dataset} value={datasetId} onChange={(e) => set("dataset_id", e.target.value)}>
            <option value="">Any dataset</option>
            {datasets.data?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
        {anyFilter && (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => setSearch({}, { replace: true })}
          >
            Clear filters
          </button>
        )}
      </form>
      {list.isPending ? (
        <Loading label="Loading evaluation runs…" />
      ) : list.isError ? (
        <ErrorMessage
          error={list.error}
          title="Evaluation runs could not be loaded"
          onRetry={() => void list.refetch()}
        />
      ) : rows.length === 0 ? (
        <EmptyState title={anyFilter ? "No runs match these filters" : "No evaluation runs yet"}>
          {!anyFilter && (
            <Can permission="executions:run" fallback={<p>Runs started by members will show up here.</p>}>
              <p>
                <Link href="/datasets">Create a dataset</Link>, then{" "}
                <Link href="/evaluations/new">start an evaluation</Link> of prompt versions × models on it.
              </p>
            </Can>
          )}
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Dataset</th>
                <th scope="col">Prompt versions</th>
                <th scope="col">Models</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/evaluations/${r.id}`} className="strong">
                      {r.name || r.id}
                    </Link>
                    {r.name && <div className="muted small mono">{r.id}</div>}
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="progress-cell">
                    <RunProgress progress={r.progress} compact label={`Progress of ${r.name || r.id}`} />
                  </td>
                  <td>
                    <Link href={`/datasets/${r.dataset_id}`}>{datasetName(r.dataset_id)}</Link>
                  </td>
                  <td>
                    {r.targets.map((t) => (
                      <div key={t.prompt_version_id} className="nowrap">
                        {promptName(t.prompt_id)} <span className="chip-version">v{t.version}</span>
                      </div>
                    ))}
                  </td>
                  <td className="mono small">
                    {r.models.map((m) => (
                      <div key={m}>{m}</div>
                    ))}
                  </td>
                  <td className="nowrap" title={formatDateTime(r.created_at)}>
                    {formatRelative(r.created_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={list} />
    </>
  );
}
