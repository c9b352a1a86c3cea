import { Link } from "wouter";
import { useExecution, usePrompt } from "../api/queries";
import type { Message } from "../api/types";
import { Cost } from "../components/Cost";
import { MessagesView } from "../components/editors";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, Loading } from "../components/states";
import { formatDateTime, formatMs, formatNumber } from "../lib/format";

export function ExecutionDetailPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const ex = useExecution(id);
  const prompt = usePrompt(ex.data?.prompt_id ?? null);
  const back = <Link href="/executions">← All executions</Link>;
  if (ex.isPending) return <Loading label="Loading the execution…" />;
  if (ex.isError) {
    return (
      <PageLoadError title="Execution" back={back} query={ex} message="This execution could not be loaded" />
    );
  }
  const e = ex.data;
  const inputs = Object.entries(e.inputs);
  const params_ = Object.entries(e.params);
  return (
    <>
      <PageHeader title="Execution" description={back}>
        <p className="mono small">{e.id}</p>
      </PageHeader>
      <section className="panel" aria-labelledby="summary-title">
        <div className="panel-head">
          <h2 id="summary-title">Summary</h2>
          <StatusBadge status={e.status} />
        </div>
        <dl className="facts facts-grid">
          <div>
            <dt>Model</dt>
            <dd className="mono">{e.model}</dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>{e.source}</dd>
          </div>
          <div>
            <dt>Prompt</dt>
            <dd>
              {e.prompt_id ? (
                <Link href={`/prompts/${e.prompt_id}`}>{prompt.data?.name ?? e.prompt_id}</Link>
              ) : (
                <span className="muted">ad hoc</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(e.created_at)}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>
              <Cost usd={e.cost_usd} />
            </dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd>{formatMs(e.latency_ms)}</dd>
          </div>
          <div>
            <dt>First token</dt>
            <dd>{formatMs(e.ttft_ms)}</dd>
          </div>
          <div>
            <dt>Finish reason</dt>
            <dd>{e.finish_reason ?? "—"}</dd>
          </div>
          <div>
            <dt>Input tokens</dt>
            <dd>{formatNumber(e.usage.input_tokens)}</dd>
          </div>
          <div>
            <dt>Cached input tokens</dt>
            <dd>{formatNumber(e.usage.cached_input_tokens)}</dd>
          </div>
          <div>
            <dt>Output tokens</dt>
            <dd>{formatNumber(e.usage.output_tokens)}</dd>
          </div>
          <div>
            <dt>Reasoning tokens</dt>
            <dd>{formatNumber(e.usage.reasoning_tokens)}</dd>
          </div>
          <div>
            <dt>Streamed</dt>
            <dd>{e.stream ? "yes" : "no"}</dd>
          </div>
          <div>
            <dt>Caller</dt>
            <dd className="mono small">{e.api_key_id ? `key ${e.api_key_id}` : (e.user_id ?? "—")}</dd>
          </div>
          <div>
            <dt>Request id</dt>
            <dd className="mono small">{e.request_id ?? "—"}</dd>
          </div>
        </dl>
      </section>
      {e.error && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">The model call failed</p>
          <p className="alert-message">{e.error.message}</p>
          <p className="alert-meta">{e.error.code}</p>
        </div>
      )}
      <div className="two-col">
        <section className="panel" aria-labelledby="inputs-title">
          <h2 id="inputs-title">Variables</h2>
          {inputs.length === 0 ? (
            <p className="muted">No variables.</p>
          ) : (
            <dl className="facts">
              {inputs.map(([k, v]) => (
                <div key={k}>
                  <dt className="mono">{k}</dt>
                  <dd className="pre">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
                </div>
              ))}
            </dl>
          )}
          <h3>Parameters</h3>
          {params_.length === 0 ? (
            <p className="muted">Model defaults.</p>
          ) : (
            <pre className="code">{JSON.stringify(e.params, null, 2)}</pre>
          )}
        </section>
        <section className="panel" aria-labelledby="output-title">
          <h2 id="output-title">Output</h2>
          {e.output ? <pre className="output">{e.output}</pre> : <EmptyState title="No output" />}
        </section>
      </div>
      <section className="panel" aria-labelledby="messages-title">
        <h2 id="messages-title">Messages sent (rendered)</h2>
        <MessagesView messages={e.messages as Message[]} />
      </section>
    </>
  );
}
