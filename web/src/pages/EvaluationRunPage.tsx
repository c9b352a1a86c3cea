import { useMutation, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useId, useMemo, useRef, useState } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import {
  type CompareQuery,
  keys,
  type ResultFilters,
  useDataset,
  useEvaluationCompare,
  useEvaluationList,
  useEvaluationResults,
  useEvaluationRun,
  usePromptOptions,
} from "../api/queries";
import type { EvaluationAggregate, EvaluationRun, EvaluationRunDetail } from "../api/types";
import { useCan } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import { Cost } from "../components/Cost";
import { LoadMore } from "../components/LoadMore";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { RunProgress } from "../components/RunProgress";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { defaultPairs, type Pair, pairLabel, pairsOf } from "../lib/evaluation";
import { formatDateTime, formatMs, formatNumber, formatRelative } from "../lib/format";
import { formatDelta, formatRate, formatScore, isActiveStatus, runDuration } from "../lib/progress";

const Chart = lazy(() => import("../components/Chart"));

type Tab = "overview" | "results" | "compare";

export function EvaluationRunPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const tab: Tab = params.tab === "results" || params.tab === "compare" ? params.tab : "overview";
  const run = useEvaluationRun(id);
  const prompts = usePromptOptions();
  const canRun = useCan("executions:run");
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: () =>
      api<EvaluationRun>(`/api/v1/evaluations/${encodeURIComponent(id)}/cancel`, { body: {} }),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: keys.evaluation(id) });
      void qc.invalidateQueries({ queryKey: keys.evaluations });
    },
  });
  // When the run ends, the last cells may have landed after the results' last refresh: fetch them again.
  const status = run.data?.status;
  const lastStatus = useRef(status);
  useEffect(() => {
    if (isActiveStatus(lastStatus.current) && status && !isActiveStatus(status)) {
      void qc.invalidateQueries({ queryKey: [...keys.evaluation(id), "results"] });
      void qc.invalidateQueries({ queryKey: [...keys.evaluation(id), "compare"] });
      void qc.invalidateQueries({ queryKey: keys.evaluations, exact: false, refetchType: "none" });
    }
    lastStatus.current = status;
  }, [status, id, qc]);
  const back = <Link href="/evaluations">← All evaluations</Link>;
  if (run.isPending) return <Loading label="Loading the evaluation run…" />;
  if (run.isError) {
    return (
      <PageLoadError
        title="Evaluation run"
        back={back}
        query={run}
        message="This evaluation run could not be loaded"
      />
    );
  }
  const r = run.data;
  const promptName = (pid: string) => prompts.data?.find((p) => p.id === pid)?.name;
  const active = isActiveStatus(r.status);
  const tabs: Array<{ key: Tab; label: string }> = [
    { key: "overview", label: "Overview" },
    { key: "results", label: `Results (${formatNumber(r.progress.done)})` },
    { key: "compare", label: "Compare" },
  ];
  return (
    <>
      <PageHeader
        title={r.name || "Evaluation run"}
        description={back}
        actions={
          canRun &&
          active && (
            <ConfirmButton
              label="Cancel run"
              confirmLabel="Cancel the run"
              question="Stop starting new cells? Finished ones are kept."
              small={false}
              pending={cancel.isPending}
              onConfirm={() => cancel.mutate()}
            />
          )
        }
      >
        <p className="breadcrumb">
          <Link href="/evaluations">Evaluations</Link> / <span className="mono small">{r.id}</span>
        </p>
      </PageHeader>
      <ErrorMessage error={cancel.error} title="The run was not cancelled" />
      <section className="panel" aria-labelledby="progress-title">
        <div className="panel-head">
          <h2 id="progress-title">Progress</h2>
          <span role="status" aria-live="polite" data-testid="run-status">
            <StatusBadge status={r.status} />
          </span>
          {active && (
            <span className="muted small">
              <span className="spinner spinner-small" aria-hidden="true" /> updating every second
            </span>
          )}
        </div>
        <RunProgress progress={r.progress} label="Cells done" />
        {r.error && (
          <div className="alert alert-error" role="alert">
            <p className="alert-title">The run failed</p>
            <p className="alert-message">{r.error}</p>
          </div>
        )}
        <RunFacts run={r} promptName={promptName} />
      </section>
      <nav className="tabs" aria-label="Evaluation run sections">
        {tabs.map((t) => (
          <Link
            key={t.key}
            href={t.key === "overview" ? `/evaluations/${r.id}` : `/evaluations/${r.id}/${t.key}`}
            className={`tab ${tab === t.key ? "active" : ""}`}
            aria-current={tab === t.key ? "page" : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === "overview" && <Aggregates run={r} promptName={promptName} />}
      {tab === "results" && <Results run={r} promptName={promptName} />}
      {tab === "compare" && <Compare run={r} promptName={promptName} />}
    </>
  );
}

type NameOf = (promptId: string) => string | undefined;

function RunFacts({ run, promptName }: { run: EvaluationRunDetail; promptName: NameOf }) {
  const dataset = useDataset(run.dataset_id);
  const took = runDuration(run.started_at, run.finished_at);
  return (
    <dl className="facts facts-grid run-facts">
      <div>
        <dt>Dataset</dt>
        <dd>
          <Link href={`/datasets/${run.dataset_id}`}>{dataset.data?.name ?? run.dataset_id}</Link>
        </dd>
      </div>
      <div>
        <dt>Prompt versions</dt>
        <dd>
          {run.targets.map((t) => (
            <div key={t.prompt_version_id}>
              <Link href={`/prompts/${t.prompt_id}`}>{promptName(t.prompt_id) ?? t.prompt_id}</Link>{" "}
              <span className="chip-version">v{t.version}</span>
            </div>
          ))}
        </dd>
      </div>
      <div>
        <dt>Models</dt>
        <dd className="mono small">
          {run.models.map((m) => (
            <div key={m}>{m}</div>
          ))}
        </dd>
      </div>
      <div>
        <dt>Evaluators</dt>
        <dd>
          {run.evaluators.map((e) => (
            <div key={String(e.name ?? e.type)}>
              <span className="mono small">{String(e.name ?? e.type)}</span>
              {e.name !== e.type && <span className="muted small"> ({String(e.type)})</span>}
              {typeof e.threshold === "number" && (
                <span className="muted small"> · pass ≥ {e.threshold}</span>
              )}
            </div>
          ))}
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd>
          <Cost usd={run.cost_usd.total} />
          <div className="muted small">
            models <Cost usd={run.cost_usd.model} /> · judges <Cost usd={run.cost_usd.judge} />
          </div>
        </dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd title={formatDateTime(run.started_at ?? run.created_at)}>
          {formatRelative(run.started_at ?? run.created_at)}
          {took !== null && (
            <div className="muted small">
              {run.finished_at ? "took" : "for"} {formatMs(took)}
            </div>
          )}
        </dd>
      </div>
      <div>
        <dt>Concurrency</dt>
        <dd>{run.concurrency}</dd>
      </div>
    </dl>
  );
}

function Aggregates({ run, promptName }: { run: EvaluationRunDetail; promptName: NameOf }) {
  const evaluatorNames = run.evaluators.map((e) => String(e.name ?? e.type));
  if (run.aggregates.length === 0) {
    return (
      <EmptyState title={isActiveStatus(run.status) ? "No results yet" : "This run has no results"}>
        {isActiveStatus(run.status) && <p>Scores appear here as cells finish.</p>}
      </EmptyState>
    );
  }
  return (
    <>
      <section className="panel" aria-labelledby="aggregates-title">
        <h2 id="aggregates-title">Scores per prompt version and model</h2>
        <div className="table-wrap">
          <table className="table" data-testid="aggregates">
            <thead>
              <tr>
                <th scope="col">Prompt version</th>
                <th scope="col">Model</th>
                <th scope="col" className="num">
                  Done
                </th>
                <th scope="col" className="num">
                  Pass rate
                </th>
                <th scope="col" className="num">
                  Mean score
                </th>
                {evaluatorNames.map((n) => (
                  <th scope="col" key={n} className="num">
                    <span className="mono">{n}</span>
                  </th>
                ))}
                <th scope="col" className="num">
                  Latency p50 / p95
                </th>
                <th scope="col" className="num">
                  Tokens in / out
                </th>
                <th scope="col" className="num">
                  Cost (per item)
                </th>
              </tr>
            </thead>
            <tbody>
              {run.aggregates.map((a) => (
                <tr key={`${a.prompt_version_id} ${a.model}`}>
                  <th scope="row" className="cell-heading">
                    {promptName(a.prompt_id) ?? a.prompt_id}{" "}
                    <span className="chip-version">v{a.version}</span>
                  </th>
                  <td className="mono small">{a.model}</td>
                  <td className="num nowrap">
                    {formatNumber(a.completed)}/{formatNumber(a.items)}
                    {a.failed > 0 && <div className="text-bad small">{formatNumber(a.failed)} failed</div>}
                  </td>
                  <td className="num strong">{formatRate(a.pass_rate)}</td>
                  <td className="num">{formatScore(a.mean_score)}</td>
                  {evaluatorNames.map((n) => {
                    const e = a.evaluators.find((x) => x.name === n);
                    return (
                      <td
                        key={n}
                        className="num"
                        title={e ? `mean score ${formatScore(e.mean_score)}` : undefined}
                      >
                        {e ? `${formatRate(e.pass_rate)} · ${formatScore(e.mean_score)}` : "—"}
                      </td>
                    );
                  })}
                  <td className="num nowrap">
                    {formatMs(a.latency_ms.p50)} / {formatMs(a.latency_ms.p95)}
                  </td>
                  <td className="num nowrap">
                    {formatNumber(a.tokens.input)} / {formatNumber(a.tokens.output)}
                  </td>
                  <td className="num nowrap">
                    <Cost usd={a.cost_usd.total} />
                    <div className="muted small">
                      <Cost usd={a.cost_usd.per_item} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="muted small table-note">
          Evaluator columns: pass rate · mean score. A failed cell scores 0. Costs are exact amounts in USD.
        </p>
      </section>
      <ScoreChart aggregates={run.aggregates} promptName={promptName} />
    </>
  );
}

/** Pass rate and mean score per pair, side by side; the table above has the same numbers. */
function ScoreChart({ aggregates, promptName }: { aggregates: EvaluationAggregate[]; promptName: NameOf }) {
  const labelKey = aggregates
    .map((a) => `${promptName(a.prompt_id) ?? a.prompt_id} v${a.version}\n${a.model}`)
    .join("\u0000");
  const option = useMemo(() => {
    const labels = labelKey.split("\u0000");
    return {
      grid: { left: 48, right: 16, top: 36, bottom: 52 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, lineHeight: 16 } },
      yAxis: { type: "value", min: 0, max: 100, name: "%", nameTextStyle: { align: "right" } },
      series: [
        {
          type: "bar",
          name: "Pass rate (%)",
          data: aggregates.map((a) => (a.pass_rate === null ? null : Math.round(a.pass_rate * 1000) / 10)),
          itemStyle: { color: "#4f46e5" },
        },
        {
          type: "bar",
          name: "Mean score (%)",
          data: aggregates.map((a) => (a.mean_score === null ? null : Math.round(a.mean_score * 1000) / 10)),
          itemStyle: { color: "#16a34a" },
        },
      ],
    };
  }, [aggregates, labelKey]);
  if (aggregates.length < 2) return null;
  return (
    <section className="panel chart-panel" aria-labelledby="score-chart-title">
      <h2 id="score-chart-title" className="panel-title-small">
        Pass rate and mean score
      </h2>
      <Suspense fallback={<div className="chart chart-md" />}>
        <Chart
          option={option}
          label={`Bar chart of pass rate and mean score for ${aggregates.length} prompt version and model pairs; the table above lists them`}
        />
      </Suspense>
    </section>
  );
}

function Results({ run, promptName }: { run: EvaluationRunDetail; promptName: NameOf }) {
  const [filters, setFilters] = useState<ResultFilters>({});
  const results = useEvaluationResults(run.id, filters, isActiveStatus(run.status));
  const rows = results.data?.pages.flatMap((p) => p.data) ?? [];
  const ids = { model: useId(), version: useId(), passed: useId() };
  const versionLabel = (pvId: string) => {
    const t = run.targets.find((x) => x.prompt_version_id === pvId);
    return t ? `${promptName(t.prompt_id) ?? t.prompt_id} v${t.version}` : pvId;
  };
  const set = (k: keyof ResultFilters, v: string) => {
    const next = { ...filters };
    if (v) (next as Record<string, string>)[k] = v;
    else delete next[k];
    setFilters(next);
  };
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title" className="sr-only">
        Results per item
      </h2>
      <form className="filters" aria-label="Filter results" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.version}>Prompt version</label>
          <select
            id={ids.version}
            value={filters.prompt_version_id ?? ""}
            onChange={(e) => set("prompt_version_id", e.target.value)}
          >
            <option value="">Any version</option>
            {run.targets.map((t) => (
              <option key={t.prompt_version_id} value={t.prompt_version_id}>
                {versionLabel(t.prompt_version_id)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.model}>Model</label>
          <select id={ids.model} value={filters.model ?? ""} onChange={(e) => set("model", e.target.value)}>
            <option value="">Any model</option>
            {run.models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.passed}>Outcome</label>
          <select
            id={ids.passed}
            value={filters.passed ?? ""}
            onChange={(e) => set("passed", e.target.value)}
          >
            <option value="">Passed or failed</option>
            <option value="true">Passed</option>
            <option value="false">Failed</option>
          </select>
        </div>
        {results.isFetching && !results.isPending && <span className="muted small">Updating…</span>}
      </form>
      {results.isPending ? (
        <Loading label="Loading results…" />
      ) : results.isError ? (
        <ErrorMessage
          error={results.error}
          title="Results could not be loaded"
          onRetry={() => void results.refetch()}
        />
      ) : rows.length === 0 ? (
        <EmptyState
          title={
            Object.keys(filters).length
              ? "No results match these filters"
              : isActiveStatus(run.status)
                ? "No cell has finished yet"
                : "This run has no results"
          }
        />
      ) : (
        <div className="table-wrap">
          <table className="table results-table" data-testid="results">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Item
                </th>
                <th scope="col">Prompt version · model</th>
                <th scope="col">Outcome</th>
                <th scope="col">Scores</th>
                <th scope="col">Output</th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td className="num">{c.position}</td>
                  <td>
                    <div>{versionLabel(c.prompt_version_id)}</div>
                    <div className="mono small">{c.model}</div>
                  </td>
                  <td>
                    <span className={`badge badge-${c.passed ? "ok" : "bad"}`}>
                      {c.passed ? "passed" : "failed"}
                    </span>
                    <div className="muted small">score {formatScore(c.score)}</div>
                  </td>
                  <td>
                    <ul className="score-list">
                      {c.scores.map((s) => (
                        <li key={s.evaluator}>
                          <span className="mono small">{s.evaluator}</span>{" "}
                          <span className={s.passed ? "text-ok" : "text-bad"}>
                            {s.passed ? "✓" : "✗"} {formatScore(s.score)}
                          </span>
                          {s.reasoning && <div className="muted small">{s.reasoning}</div>}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td className="output-cell">
                    {c.error ? (
                      <span className="text-bad">{c.error}</span>
                    ) : (
                      <ClippedText text={c.output ?? ""} />
                    )}
                    {c.execution_id && (
                      <div>
                        <Link href={`/executions/${c.execution_id}`} className="small">
                          Execution
                        </Link>
                      </div>
                    )}
                  </td>
                  <td className="num nowrap">{formatMs(c.latency_ms)}</td>
                  <td className="num">
                    <Cost usd={c.cost_usd} />
                    {c.judge_cost_usd !== "0" && (
                      <div className="muted small">
                        judge <Cost usd={c.judge_cost_usd} />
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={results} />
    </section>
  );
}

/** Long outputs folded: the first 240 characters, the rest behind a disclosure. */
function ClippedText({ text, max = 240 }: { text: string; max?: number }) {
  if (text === "") return <span className="muted">(empty)</span>;
  if (text.length <= max) return <pre className="output-inline">{text}</pre>;
  return (
    <details className="clip">
      <summary>
        <span className="output-inline">{text.slice(0, max)}…</span> <span className="small">show all</span>
      </summary>
      <pre className="output-inline">{text}</pre>
    </details>
  );
}

function Compare({ run, promptName }: { run: EvaluationRunDetail; promptName: NameOf }) {
  const sameDataset = useEvaluationList({ dataset_id: run.dataset_id });
  const runs = sameDataset.data?.pages.flatMap((p) => p.data) ?? [];
  const [baseRunId, setBaseRunId] = useState(run.id);
  const baseRun: Pick<EvaluationRun, "targets" | "models"> =
    baseRunId === run.id ? run : (runs.find((r) => r.id === baseRunId) ?? { targets: [], models: [] });
  const headPairs = pairsOf(run);
  const basePairs = pairsOf(baseRun);
  const defaults = defaultPairs(headPairs, basePairs, baseRunId === run.id);
  const [chosen, setChosen] = useState<{ base: string; head: string } | null>(null);
  const pick = chosen ?? defaults;
  const base = basePairs.find((p) => p.key === pick?.base);
  const head = headPairs.find((p) => p.key === pick?.head);
  const same = baseRunId === run.id && base && head && base.key === head.key;
  const query: CompareQuery | null =
    base && head && !same
      ? {
          ...(baseRunId !== run.id ? { base_run: baseRunId } : {}),
          base_model: base.model,
          head_model: head.model,
          base_prompt_version_id: base.prompt_version_id,
          head_prompt_version_id: head.prompt_version_id,
        }
      : null;
  const cmp = useEvaluationCompare(run.id, query);
  const ids = { baseRun: useId(), base: useId(), head: useId() };
  const label = (p: Pair) => pairLabel(p, promptName(p.prompt_id));

  return (
    <section aria-labelledby="compare-title">
      <h2 id="compare-title" className="sr-only">
        Compare
      </h2>
      <form className="filters" aria-label="Choose what to compare" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.baseRun}>Base run</label>
          <select
            id={ids.baseRun}
            value={baseRunId}
            onChange={(e) => {
              setBaseRunId(e.target.value);
              setChosen(null);
            }}
          >
            <option value={run.id}>This run</option>
            {runs
              .filter((r) => r.id !== run.id)
              .map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name || r.id} ({formatRelative(r.created_at)})
                </option>
              ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.base}>Base</label>
          <select
            id={ids.base}
            value={pick?.base ?? ""}
            onChange={(e) => setChosen({ base: e.target.value, head: pick?.head ?? "" })}
          >
            {!pick && <option value="">Choose</option>}
            {basePairs.map((p) => (
              <option key={p.key} value={p.key}>
                {label(p)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.head}>Head (this run)</label>
          <select
            id={ids.head}
            value={pick?.head ?? ""}
            onChange={(e) => setChosen({ base: pick?.base ?? "", head: e.target.value })}
          >
            {!pick && <option value="">Choose</option>}
            {headPairs.map((p) => (
              <option key={p.key} value={p.key}>
                {label(p)}
              </option>
            ))}
          </select>
        </div>
      </form>
      {headPairs.length < 2 && runs.length < 2 ? (
        <EmptyState title="Nothing to compare with yet">
          <p>
            This run has one prompt version and one model. Compare it with another run on the same dataset, or
            start a run with several prompt versions or models.
          </p>
        </EmptyState>
      ) : same ? (
        <p className="muted">
          Base and head are the same cells: choose another prompt version, model or run.
        </p>
      ) : !query ? (
        <p className="muted">Choose a base and a head to compare.</p>
      ) : cmp.isPending ? (
        <Loading label="Comparing…" />
      ) : cmp.isError ? (
        <ErrorMessage error={cmp.error} title="The comparison failed" onRetry={() => void cmp.refetch()} />
      ) : (
        <ComparisonView
          data={cmp.data}
          baseLabel={base ? label(base) : ""}
          headLabel={head ? label(head) : ""}
        />
      )}
    </section>
  );
}

function ComparisonView({
  data,
  baseLabel,
  headLabel,
}: {
  data: NonNullable<ReturnType<typeof useEvaluationCompare>["data"]>;
  baseLabel: string;
  headLabel: string;
}) {
  const s = data.summary;
  return (
    <>
      <section className="panel" aria-labelledby="cmp-summary">
        <h2 id="cmp-summary">
          {headLabel} <span className="muted">against</span> {baseLabel}
        </h2>
        <dl className="metrics metrics-wide" data-testid="compare-summary">
          <div>
            <dt>Compared items</dt>
            <dd>{formatNumber(s.compared)}</dd>
          </div>
          <div>
            <dt>Regressed</dt>
            <dd className={s.regressed ? "text-bad" : undefined}>{formatNumber(s.regressed)}</dd>
          </div>
          <div>
            <dt>Improved</dt>
            <dd className={s.improved ? "text-ok" : undefined}>{formatNumber(s.improved)}</dd>
          </div>
          <div>
            <dt>Unchanged</dt>
            <dd>{formatNumber(s.unchanged)}</dd>
          </div>
          <div>
            <dt>Pass rate base → head</dt>
            <dd>
              {formatRate(s.base.pass_rate)} → {formatRate(s.head.pass_rate)}
            </dd>
          </div>
          <div>
            <dt>Mean score base → head</dt>
            <dd>
              {formatScore(s.base.mean_score)} → {formatScore(s.head.mean_score)}
            </dd>
          </div>
        </dl>
        <p className="muted small">
          {s.passed_to_failed} passed → failed, {s.failed_to_passed} failed → passed
          {s.missing ? `; ${s.missing} items finished on one side only are left out` : ""}.
        </p>
      </section>
      <section className="panel" aria-labelledby="cmp-regressions">
        <h2 id="cmp-regressions">Regressions ({data.regressions.length})</h2>
        {data.regressions.length === 0 ? (
          <p className="muted">No item got worse.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Item
                  </th>
                  <th scope="col">Why</th>
                  <th scope="col">Base output</th>
                  <th scope="col">Head output</th>
                </tr>
              </thead>
              <tbody>
                {data.regressions.map((r) => (
                  <tr key={r.item_id}>
                    <td className="num">{r.position}</td>
                    <td className="nowrap">
                      {r.reason === "passed_to_failed" ? "passed → failed" : "score dropped"}
                      <div className="muted small">
                        {formatScore(r.base.score)} → {formatScore(r.head.score)} ({formatDelta(r.delta)})
                      </div>
                    </td>
                    <td className="output-cell">
                      {r.base.error ? (
                        <span className="text-bad">{r.base.error}</span>
                      ) : (
                        <ClippedText text={r.base.output ?? ""} />
                      )}
                    </td>
                    <td className="output-cell">
                      {r.head.error ? (
                        <span className="text-bad">{r.head.error}</span>
                      ) : (
                        <ClippedText text={r.head.output ?? ""} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="cmp-items">
        <h2 id="cmp-items">Every compared item</h2>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Item
                </th>
                <th scope="col" className="num">
                  Base score
                </th>
                <th scope="col" className="num">
                  Head score
                </th>
                <th scope="col" className="num">
                  Change
                </th>
                <th scope="col">Verdict</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((it) => (
                <tr key={it.item_id}>
                  <td className="num">{it.position}</td>
                  <td className="num">
                    {formatScore(it.base.score)} {it.base.passed ? "✓" : "✗"}
                  </td>
                  <td className="num">
                    {formatScore(it.head.score)} {it.head.passed ? "✓" : "✗"}
                  </td>
                  <td className="num">{formatDelta(it.delta)}</td>
                  <td>
                    <span
                      className={`badge badge-${it.change === "regressed" ? "bad" : it.change === "improved" ? "ok" : "muted"}`}
                    >
                      {it.change}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
