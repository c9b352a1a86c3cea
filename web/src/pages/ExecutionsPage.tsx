import { lazy, Suspense, useId, useMemo } from "react";
import { Link, useSearchParams } from "wouter";
import { type ExecutionFilters, useExecutionList, useModels, usePromptOptions } from "../api/queries";
import type { Execution } from "../api/types";
import { Cost } from "../components/Cost";
import { LoadMore } from "../components/LoadMore";
import { PageHeader } from "../components/PageHeader";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatDateTime, formatMs, formatNumber, formatRelative } from "../lib/format";

const Chart = lazy(() => import("../components/Chart"));

const FILTERS = ["prompt_id", "model", "status", "source", "since"] as const;

export function ExecutionsPage() {
  const [search, setSearch] = useSearchParams();
  const filters: ExecutionFilters = Object.fromEntries(
    FILTERS.map((f) => [f, search.get(f) ?? undefined]).filter(([, v]) => v),
  );
  const list = useExecutionList(filters);
  const models = useModels();
  const prompts = usePromptOptions();
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const promptName = (id: string | null) =>
    id ? (prompts.data?.find((p) => p.id === id)?.name ?? id) : null;
  const set = (key: (typeof FILTERS)[number], value: string) =>
    setSearch(
      (s) => {
        const out = new URLSearchParams(s);
        if (value) out.set(key, value);
        else out.delete(key);
        return out;
      },
      { replace: true },
    );
  const ids = { prompt: useId(), model: useId(), status: useId(), source: useId(), since: useId() };
  const anyFilter = Object.keys(filters).length > 0;

  return (
    <>
      <PageHeader
        title="Executions"
        description="Every model call: from the playground, prompt runs and the OpenAI-compatible gateway."
      />
      <form className="filters" aria-label="Filter executions" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.prompt}>Prompt</label>
          <select
            id={ids.prompt}
            value={filters.prompt_id ?? ""}
            onChange={(e) => set("prompt_id", e.target.value)}
          >
            <option value="">Any prompt</option>
            {prompts.data?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.model}>Model</label>
          <select id={ids.model} value={filters.model ?? ""} onChange={(e) => set("model", e.target.value)}>
            <option value="">Any model</option>
            {models.data?.map((m) => (
              <option key={m.slug} value={m.slug}>
                {m.slug}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select
            id={ids.status}
            value={filters.status ?? ""}
            onChange={(e) => set("status", e.target.value)}
          >
            <option value="">Any status</option>
            <option value="succeeded">Succeeded</option>
            <option value="failed">Failed</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.source}>Source</label>
          <select
            id={ids.source}
            value={filters.source ?? ""}
            onChange={(e) => set("source", e.target.value)}
          >
            <option value="">Any source</option>
            <option value="playground">Playground</option>
            <option value="prompt">Prompt</option>
            <option value="gateway">Gateway</option>
            <option value="evaluation">Evaluation</option>
            <option value="workflow">Workflow</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.since}>Time</label>
          <select id={ids.since} value={filters.since ?? ""} onChange={(e) => set("since", e.target.value)}>
            <option value="">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
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
        <Loading label="Loading executions…" />
      ) : list.isError ? (
        <ErrorMessage
          error={list.error}
          title="Executions could not be loaded"
          onRetry={() => void list.refetch()}
        />
      ) : rows.length === 0 ? (
        <EmptyState title={anyFilter ? "No executions match these filters" : "No executions yet"}>
          {!anyFilter && (
            <p>
              Run something in the <Link href="/playground">playground</Link>, or call the API with a key.
            </p>
          )}
        </EmptyState>
      ) : (
        <>
          <LatencyChart rows={rows} />
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Status</th>
                  <th scope="col">Source</th>
                  <th scope="col">Model</th>
                  <th scope="col">Prompt</th>
                  <th scope="col" className="num">
                    Tokens
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.id}>
                    <td className="nowrap">
                      <Link href={`/executions/${e.id}`} title={formatDateTime(e.created_at)}>
                        {formatRelative(e.created_at)}
                      </Link>
                    </td>
                    <td>
                      <StatusBadge status={e.status} />
                    </td>
                    <td>{e.source}</td>
                    <td className="mono small">{e.model}</td>
                    <td>{promptName(e.prompt_id) ?? <span className="muted">—</span>}</td>
                    <td className="num">{formatNumber(e.usage.total_tokens)}</td>
                    <td className="num">
                      <Cost usd={e.cost_usd} />
                    </td>
                    <td className="num">{formatMs(e.latency_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore query={list} />
        </>
      )}
    </>
  );
}

/** Latency of the listed executions, oldest to newest: slow outliers stand out at a glance. */
function LatencyChart({ rows }: { rows: Execution[] }) {
  const option = useMemo(() => {
    const ordered = [...rows].reverse();
    return {
      grid: { left: 48, right: 16, top: 24, bottom: 28 },
      xAxis: {
        type: "category",
        data: ordered.map((e) => new Date(e.created_at).toLocaleTimeString()),
        axisLabel: { hideOverlap: true },
      },
      yAxis: { type: "value", name: "ms", nameTextStyle: { align: "right" } },
      tooltip: { trigger: "axis" },
      series: [
        {
          type: "bar",
          name: "Latency (ms)",
          data: ordered.map((e) => ({
            value: e.latency_ms,
            itemStyle: { color: e.status === "failed" ? "#dc2626" : "#4f46e5" },
          })),
        },
      ],
    };
  }, [rows]);
  if (rows.length < 2) return null;
  return (
    <section className="panel chart-panel" aria-labelledby="latency-title">
      <h2 id="latency-title" className="panel-title-small">
        Latency of the executions below
      </h2>
      <Suspense fallback={<div className="chart chart-sm" />}>
        <Chart
          option={option}
          label={`Bar chart of latency for ${rows.length} executions; the table below lists them`}
          size="sm"
        />
      </Suspense>
    </section>
  );
}
