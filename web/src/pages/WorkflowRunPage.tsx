import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import { keys, usePromptOptions, useWorkflow, useWorkflowRun } from "../api/queries";
import type { WorkflowRunDetail } from "../api/types";
import { useCan } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import { Cost } from "../components/Cost";
import { DagView } from "../components/DagView";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { RunProgress } from "../components/RunProgress";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatDateTime, formatMs, formatNumber, formatRelative } from "../lib/format";
import { isActiveStatus, runDuration, stepProgress } from "../lib/progress";
import { describeStep } from "../lib/workflow";

export function WorkflowRunPage({ params }: { params: Record<string, string | undefined> }) {
  const runId = params.runId ?? "";
  const run = useWorkflowRun(runId);
  const wf = useWorkflow(run.data?.workflow_id ?? "");
  const prompts = usePromptOptions();
  const canRun = useCan("executions:run");
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: () =>
      api<WorkflowRunDetail>(`/api/v1/workflows/runs/${encodeURIComponent(runId)}/cancel`, { body: {} }),
    onSuccess: (r) => qc.setQueryData(keys.workflowRun(runId), r),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.workflowRun(runId) }),
  });
  // When the run ends, the workflow's list of runs is out of date.
  const status = run.data?.status;
  const workflowId = run.data?.workflow_id;
  const lastStatus = useRef(status);
  useEffect(() => {
    if (workflowId && isActiveStatus(lastStatus.current) && status && !isActiveStatus(status))
      void qc.invalidateQueries({ queryKey: keys.workflowRuns(workflowId) });
    lastStatus.current = status;
  }, [status, workflowId, qc]);
  if (run.isPending) return <Loading label="Loading the run…" />;
  if (run.isError) {
    return (
      <PageLoadError
        title="Workflow run"
        back={<Link href="/workflows">← All workflows</Link>}
        query={run}
        message="This run could not be loaded"
      />
    );
  }
  const r = run.data;
  const active = isActiveStatus(r.status);
  const promptName = (pid: string) => prompts.data?.find((p) => p.id === pid)?.name;
  const stepDef = new Map(r.definition.steps.map((s) => [s.id, s]));
  const took = runDuration(r.started_at, r.finished_at);
  const inputs = Object.entries(r.inputs);
  return (
    <>
      <PageHeader
        title="Workflow run"
        description={<Link href={`/workflows/${r.workflow_id}`}>← {wf.data?.name ?? "The workflow"}</Link>}
        actions={
          canRun &&
          active && (
            <ConfirmButton
              label="Cancel run"
              confirmLabel="Cancel the run"
              question="Stop the run? Calls in flight finish; nothing new starts."
              small={false}
              pending={cancel.isPending || r.cancel_requested}
              onConfirm={() => cancel.mutate()}
            />
          )
        }
      >
        <p className="breadcrumb">
          <Link href="/workflows">Workflows</Link> /{" "}
          <Link href={`/workflows/${r.workflow_id}`}>{wf.data?.name ?? r.workflow_id}</Link> /{" "}
          <span className="mono small">{r.id}</span>
        </p>
      </PageHeader>
      <ErrorMessage error={cancel.error} title="The run was not cancelled" />
      <section className="panel" aria-labelledby="run-summary">
        <div className="panel-head">
          <h2 id="run-summary">Summary</h2>
          <span role="status" aria-live="polite" data-testid="run-status">
            <StatusBadge status={r.status} />
          </span>
          {active && (
            <span className="muted small">
              <span className="spinner spinner-small" aria-hidden="true" />{" "}
              {r.cancel_requested ? "cancelling…" : "updating every second"}
            </span>
          )}
        </div>
        <RunProgress progress={stepProgress(r.steps)} label="Steps done" unit="steps" />
        <dl className="facts facts-grid">
          <div>
            <dt>Started</dt>
            <dd title={formatDateTime(r.started_at ?? r.created_at)}>
              {formatRelative(r.started_at ?? r.created_at)}
            </dd>
          </div>
          <div>
            <dt>{r.finished_at ? "Took" : "Running for"}</dt>
            <dd>{formatMs(took)}</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>
              {formatNumber(r.usage.total_tokens)}{" "}
              <span className="muted small">
                ({formatNumber(r.usage.input_tokens)} in, {formatNumber(r.usage.output_tokens)} out)
              </span>
            </dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>
              <Cost usd={r.cost_usd} />
            </dd>
          </div>
          <div>
            <dt>Workflow version</dt>
            <dd>v{r.workflow_version}</dd>
          </div>
          <div>
            <dt>Inputs</dt>
            <dd>
              {inputs.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                <dl className="kv">
                  {inputs.map(([k, v]) => (
                    <div key={k}>
                      <dt className="mono">{k}</dt>
                      <dd className="pre">{String(v)}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </dd>
          </div>
        </dl>
        {r.error && (
          <div className="alert alert-error" role="alert">
            <p className="alert-title">The run failed{r.error.step ? ` at step “${r.error.step}”` : ""}</p>
            <p className="alert-message">{r.error.message}</p>
            <p className="alert-meta">{r.error.code}</p>
          </div>
        )}
      </section>
      <div className="two-col">
        <section className="panel" aria-labelledby="run-graph">
          <h2 id="run-graph">Graph</h2>
          <DagView
            title="Steps"
            nodes={r.graph.nodes.map((n) => {
              const def = stepDef.get(n.id);
              return {
                id: n.id,
                type: n.type,
                detail: def ? describeStep(def, promptName) : n.label,
                status: n.status,
              };
            })}
            edges={r.graph.edges}
          />
        </section>
        <section className="panel" aria-labelledby="run-output">
          <h2 id="run-output">Output</h2>
          {r.output === null ? (
            <EmptyState title={active ? "Not finished yet" : "No output"}>
              {!active && r.status !== "succeeded" && <p>A run that did not succeed has no output.</p>}
            </EmptyState>
          ) : typeof r.output === "string" ? (
            <pre className="output" data-testid="run-output">
              {r.output}
            </pre>
          ) : (
            <dl className="facts" data-testid="run-output">
              {Object.entries(r.output).map(([k, v]) => (
                <div key={k}>
                  <dt className="mono">{k}</dt>
                  <dd>
                    <pre className="output-inline">{v}</pre>
                  </dd>
                </div>
              ))}
            </dl>
          )}
        </section>
      </div>
      <section className="panel" aria-labelledby="run-steps">
        <h2 id="run-steps">Steps</h2>
        <div className="table-wrap">
          <table className="table" data-testid="steps">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Status</th>
                <th scope="col">Output</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col" className="num">
                  Latency
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
              {r.steps.map((s) => {
                const def = stepDef.get(s.step_id);
                return (
                  <tr key={s.step_id} id={`step-${s.step_id}`} data-step={s.step_id}>
                    <th scope="row" className="cell-heading">
                      <span className="mono">{s.step_id}</span>
                      <div className="muted small">
                        {def ? describeStep(def, promptName) : s.type}
                        {s.depends_on.length > 0 && ` · after ${s.depends_on.join(", ")}`}
                      </div>
                    </th>
                    <td>
                      <StatusBadge status={s.status} />
                    </td>
                    <td className="output-cell">
                      {s.error ? (
                        <span className="text-bad">
                          {s.error.message} <span className="mono small">({s.error.code})</span>
                        </span>
                      ) : s.output !== null ? (
                        <pre className="output-inline">{s.output}</pre>
                      ) : (
                        <span className="muted">—</span>
                      )}
                      {s.execution_id && (
                        <div>
                          <Link href={`/executions/${s.execution_id}`} className="small">
                            Execution
                          </Link>
                        </div>
                      )}
                    </td>
                    <td className="num">{s.attempts}</td>
                    <td className="num">{formatMs(s.latency_ms)}</td>
                    <td className="num">{formatNumber(s.usage.total_tokens)}</td>
                    <td className="num">
                      <Cost usd={s.cost_usd} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
