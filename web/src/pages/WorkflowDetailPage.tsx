import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { keys, usePromptOptions, useWorkflow, useWorkflowRuns } from "../api/queries";
import type { Workflow, WorkflowRunDetail } from "../api/types";
import { Can } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import { Cost } from "../components/Cost";
import { DagView } from "../components/DagView";
import { LoadMore } from "../components/LoadMore";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { StatusBadge } from "../components/StatusBadge";
import { ErrorMessage, Loading } from "../components/states";
import { formatDateTime, formatMs, formatNumber, formatRelative } from "../lib/format";
import { runDuration } from "../lib/progress";
import { definitionEdges, describeStep, isInputRequired, runInputs } from "../lib/workflow";

export function WorkflowDetailPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const wf = useWorkflow(id);
  const prompts = usePromptOptions();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const del = useMutation({
    mutationFn: () => api(`/api/v1/workflows/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.workflows });
      navigate("/workflows");
    },
  });
  const back = <Link href="/workflows">← All workflows</Link>;
  if (wf.isPending) return <Loading label="Loading the workflow…" />;
  if (wf.isError) {
    return (
      <PageLoadError title="Workflow" back={back} query={wf} message="This workflow could not be loaded" />
    );
  }
  const w = wf.data;
  const promptName = (pid: string) => prompts.data?.find((p) => p.id === pid)?.name;
  const edges = definitionEdges(w.definition);
  return (
    <>
      <PageHeader
        title={w.name}
        description={w.description || undefined}
        actions={
          <Can permission="prompts:write">
            <Link href={`/workflows/${w.id}/edit`} className="btn btn-primary">
              Edit
            </Link>
            <ConfirmButton
              label="Delete"
              confirmLabel="Delete workflow"
              question="Delete this workflow and its run history? Executions are kept."
              small={false}
              pending={del.isPending}
              onConfirm={() => del.mutate()}
            />
          </Can>
        }
      >
        <p className="breadcrumb">
          <Link href="/workflows">Workflows</Link> / <span className="mono small">{w.id}</span> · version{" "}
          {w.version} · updated {formatRelative(w.updated_at)}
        </p>
      </PageHeader>
      <ErrorMessage error={del.error} title="The workflow was not deleted" />
      <div className="two-col">
        <section className="panel" aria-labelledby="graph-title">
          <h2 id="graph-title">Graph</h2>
          <DagView
            title="Steps"
            nodes={w.definition.steps.map((s) => ({
              id: s.id,
              type: String(s.type),
              detail: describeStep(s, promptName),
            }))}
            edges={edges}
          />
        </section>
        <Can
          permission="executions:run"
          fallback={
            <section className="panel">
              <h2>Run</h2>
              <p className="muted">Your role can read this workflow but not run it.</p>
            </section>
          }
        >
          <RunForm workflow={w} />
        </Can>
      </div>
      <section className="panel" aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Type</th>
                <th scope="col">Does</th>
                <th scope="col">Runs after</th>
              </tr>
            </thead>
            <tbody>
              {w.definition.steps.map((s) => {
                const after = edges.filter((e) => e.to === s.id).map((e) => e.from);
                return (
                  <tr key={s.id}>
                    <th scope="row" className="mono cell-heading">
                      {s.id}
                    </th>
                    <td>{s.type}</td>
                    <td>
                      {s.type === "prompt" && s.prompt_id ? (
                        <Link href={`/prompts/${s.prompt_id}`}>{describeStep(s, promptName)}</Link>
                      ) : (
                        describeStep(s, promptName)
                      )}
                    </td>
                    <td className="mono small">{after.join(", ") || <span className="muted">—</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <dl className="facts facts-after">
          <div>
            <dt>Output</dt>
            <dd className="mono small pre">
              {typeof w.definition.output === "string"
                ? w.definition.output
                : JSON.stringify(w.definition.output, null, 2)}
            </dd>
          </div>
          <div>
            <dt>On a failed step</dt>
            <dd>
              {(w.definition.failure_policy ?? "fail_fast") === "fail_fast"
                ? "stop: skip every step not yet started"
                : "continue: run every step whose dependencies succeeded"}
            </dd>
          </div>
        </dl>
        <details className="disclosure">
          <summary>Definition as JSON</summary>
          <pre className="code">{JSON.stringify(w.definition, null, 2)}</pre>
        </details>
      </section>
      <Can permission="executions:read">
        <Runs workflowId={w.id} />
      </Can>
    </>
  );
}

function RunForm({ workflow }: { workflow: Workflow }) {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const inputs = workflow.definition.inputs ?? [];
  const [values, setValues] = useState<Record<string, string>>({});
  const base = useId();
  const run = useMutation({
    mutationFn: () =>
      api<WorkflowRunDetail>(`/api/v1/workflows/${encodeURIComponent(workflow.id)}/execute`, {
        body: { inputs: runInputs(inputs, values) },
      }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: keys.workflowRuns(workflow.id) });
      qc.setQueryData(keys.workflowRun(r.id), r);
      navigate(`/workflows/runs/${r.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate();
  };
  return (
    <section className="panel" aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`}>Run</h2>
      <form className="form" onSubmit={submit} aria-label="Run the workflow">
        {inputs.length === 0 && <p className="muted small">This workflow takes no inputs.</p>}
        {inputs.map((i) => {
          const fid = `${base}-${i.name}`;
          const required = isInputRequired(i);
          return (
            <div className="field" key={i.name}>
              <label htmlFor={fid}>
                <span className="mono">{i.name}</span>
                {!required && <span className="muted"> (optional)</span>}
              </label>
              <textarea
                id={fid}
                rows={2}
                required={required}
                placeholder={i.default !== undefined ? `default: ${String(i.default)}` : undefined}
                value={values[i.name] ?? ""}
                onChange={(e) => setValues({ ...values, [i.name]: e.target.value })}
              />
              {i.description && <span className="muted small">{i.description}</span>}
            </div>
          );
        })}
        <ErrorMessage error={run.error} title="The run was not started" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={run.isPending}>
            {run.isPending ? "Starting…" : "Run workflow"}
          </button>
        </div>
      </form>
    </section>
  );
}

function Runs({ workflowId }: { workflowId: string }) {
  const runs = useWorkflowRuns(workflowId);
  const rows = runs.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <section className="panel" aria-labelledby="runs-title">
      <div className="panel-head">
        <h2 id="runs-title">Runs</h2>
        {runs.isFetching && !runs.isPending && <span className="muted small">Updating…</span>}
      </div>
      {runs.isPending ? (
        <Loading label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorMessage
          error={runs.error}
          title="Runs could not be loaded"
          onRetry={() => void runs.refetch()}
        />
      ) : rows.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">Inputs</th>
                <th scope="col" className="num">
                  Took
                </th>
                <th scope="col" className="num">
                  Tokens
                </th>
                <th scope="col" className="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td className="nowrap">
                    <Link href={`/workflows/runs/${r.id}`} title={formatDateTime(r.created_at)}>
                      {formatRelative(r.created_at)}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="mono small truncate">
                    {Object.entries(r.inputs)
                      .map(([k, v]) => `${k}=${String(v)}`)
                      .join(", ") || "—"}
                  </td>
                  <td className="num">{formatMs(runDuration(r.started_at, r.finished_at))}</td>
                  <td className="num">{formatNumber(r.usage.total_tokens)}</td>
                  <td className="num">
                    <Cost usd={r.cost_usd} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={runs} />
    </section>
  );
}
