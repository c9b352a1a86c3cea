import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "wouter";
import { ApiError, api, apiStream } from "../api/client";
import { keys, usePromptOptions, useVersions } from "../api/queries";
import type { Execution, PromptVersion, PromptWithVersion } from "../api/types";
import { useCan } from "../auth";
import { Cost } from "../components/Cost";
import { MessagesEditor, ModelSelect, ParamsEditor, VariablesForm } from "../components/editors";
import { PageHeader } from "../components/PageHeader";
import { StatusBadge } from "../components/StatusBadge";
import { ErrorMessage, NoAccess, Notice } from "../components/states";
import { formatMs, formatNumber } from "../lib/format";
import {
  type EditableMessage,
  emptyParams,
  extractVariables,
  formToParams,
  type ParamsForm,
  paramsToForm,
  toApiMessages,
  toEditable,
} from "../lib/template";

const DEFAULT_MODEL = "mock/echo";

interface RunState {
  status: "idle" | "running" | "succeeded" | "failed" | "stopped";
  text: string;
  executionId: string | null;
  execution: Execution | null;
  error: unknown;
}

const idle: RunState = { status: "idle", text: "", executionId: null, execution: null, error: null };

/** What a saved version and the editor are compared by, to tell "run this version" from "run my edits". */
const snapshot = (messages: EditableMessage[], model: string, params: ParamsForm) =>
  JSON.stringify({ messages: toApiMessages(messages), model, params: formToParams(params).params });

export function PlaygroundPage() {
  const canRun = useCan("executions:run");
  if (!canRun) {
    return (
      <>
        <PageHeader title="Playground" />
        <NoAccess what="run models" />
      </>
    );
  }
  return <Playground />;
}

function Playground() {
  const qc = useQueryClient();
  const canWrite = useCan("prompts:write");
  const [search, setSearch] = useSearchParams();
  const promptId = search.get("prompt") || null;
  const versionParam = Number(search.get("version")) || null;

  const [messages, setMessages] = useState<EditableMessage[]>([
    { role: "system", text: "You are a helpful assistant.", otherParts: [] },
    { role: "user", text: "", otherParts: [] },
  ]);
  const [model, setModel] = useState(DEFAULT_MODEL);
  const [paramsForm, setParamsForm] = useState<ParamsForm>(emptyParams);
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [loaded, setLoaded] = useState<{ key: string; snapshot: string; version: PromptVersion } | null>(
    null,
  );
  const [run, setRun] = useState<RunState>(idle);
  const abortRef = useRef<AbortController | null>(null);

  const prompts = usePromptOptions();
  const versions = useVersions(promptId);
  const promptName = prompts.data?.find((p) => p.id === promptId)?.name;
  const selected: PromptVersion | undefined = versionParam
    ? versions.data?.find((v) => v.version === versionParam)
    : versions.data?.[0];

  // Load the chosen version into the editor once per choice (not again on a background refetch).
  useEffect(() => {
    if (!selected) return;
    const key = `${selected.prompt_id}:${selected.version}`;
    if (loaded?.key === key) return;
    const m = toEditable(selected.messages);
    const p = paramsToForm(selected.params);
    setMessages(m);
    setModel(selected.model);
    setParamsForm(p);
    setLoaded({ key, snapshot: snapshot(m, selected.model, p), version: selected });
  }, [selected, loaded?.key]);

  useEffect(() => () => abortRef.current?.abort(), []);

  const names = useMemo(() => extractVariables(messages), [messages]);
  const { params, errors: paramErrors } = formToParams(paramsForm);
  const fromVersion = promptId && loaded?.key.startsWith(`${promptId}:`) ? loaded.version : null;
  const edited = fromVersion ? snapshot(messages, model, paramsForm) !== loaded?.snapshot : false;

  const choose = (next: { prompt?: string | null; version?: number | null }) => {
    const p = next.prompt === undefined ? promptId : next.prompt;
    const v = next.version === undefined ? versionParam : next.version;
    setSearch(
      (s) => {
        const out = new URLSearchParams(s);
        if (p) out.set("prompt", p);
        else out.delete("prompt");
        if (p && v) out.set("version", String(v));
        else out.delete("version");
        return out;
      },
      { replace: true },
    );
    if (!p) setLoaded(null);
  };

  const start = async () => {
    if (Object.keys(paramErrors).length > 0 || run.status === "running") return;
    abortRef.current?.abort();
    const abort = new AbortController();
    abortRef.current = abort;
    const vars = Object.fromEntries(names.map((n) => [n, variables[n] ?? ""]));
    // An unedited saved version runs through the prompt endpoint, so the execution is linked to it.
    const [path, body] =
      fromVersion && !edited
        ? [
            `/api/v1/prompts/${encodeURIComponent(fromVersion.prompt_id)}/execute`,
            { version: fromVersion.version, variables: vars, stream: true },
          ]
        : [
            "/api/v1/executions",
            { model, messages: toApiMessages(messages), params, variables: vars, stream: true },
          ];
    setRun({ ...idle, status: "running" });
    let finished = false;
    try {
      const { events, requestId } = await apiStream(path, body, abort.signal);
      for await (const ev of events) {
        const data = JSON.parse(ev.data) as Record<string, unknown>;
        if (ev.event === "start") {
          setRun((r) => ({ ...r, executionId: String(data.id) }));
        } else if (ev.event === "delta") {
          setRun((r) => ({ ...r, text: r.text + String(data.text ?? "") }));
        } else if (ev.event === "done") {
          finished = true;
          const execution = data as unknown as Execution;
          setRun((r) => ({ ...r, status: "succeeded", execution, text: execution.output ?? r.text }));
        } else if (ev.event === "error") {
          finished = true;
          const e = data.error as { code: string; message: string; request_id?: string };
          setRun((r) => ({
            ...r,
            status: "failed",
            execution: (data.execution as Execution | undefined) ?? null,
            error: new ApiError(200, e.code, e.message, e.request_id ?? requestId),
          }));
        }
      }
      if (!finished) {
        setRun((r) => ({
          ...r,
          status: "failed",
          error: new ApiError(0, "stream_ended", "The stream ended before the model finished", requestId),
        }));
      }
      void qc.invalidateQueries({ queryKey: keys.executions });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") {
        setRun((r) => ({ ...r, status: "stopped" }));
      } else {
        setRun((r) => ({ ...r, status: "failed", error: err }));
      }
    }
  };

  const stop = () => abortRef.current?.abort();

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void start();
  };

  const promptSelectId = useId();
  const versionSelectId = useId();

  return (
    <>
      <PageHeader
        title="Playground"
        description="Run a saved prompt version or ad-hoc messages on any model, and watch the output stream in."
      />
      <div className="playground">
        <form
          className="panel playground-config"
          onSubmit={onSubmit}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void start();
            }
          }}
          aria-label="Playground settings"
        >
          <div className="row">
            <div className="field grow">
              <label htmlFor={promptSelectId}>Prompt</label>
              <select
                id={promptSelectId}
                value={promptId ?? ""}
                onChange={(e) => choose({ prompt: e.target.value || null, version: null })}
              >
                <option value="">Ad hoc (no saved prompt)</option>
                {prompts.data?.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
                {promptId && !prompts.data?.some((p) => p.id === promptId) && (
                  <option value={promptId}>{promptId}</option>
                )}
              </select>
            </div>
            {promptId && (
              <div className="field">
                <label htmlFor={versionSelectId}>Version</label>
                <select
                  id={versionSelectId}
                  value={selected?.version ?? ""}
                  disabled={!versions.data}
                  onChange={(e) => choose({ version: Number(e.target.value) })}
                >
                  {!versions.data && <option value="">Loading…</option>}
                  {versions.data?.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version}
                      {v.commit_message ? ` — ${v.commit_message.slice(0, 40)}` : ""}
                    </option>
                  ))}
                </select>
              </div>
            )}
          </div>
          {prompts.isError && <ErrorMessage error={prompts.error} title="Prompts could not be loaded" />}
          {versions.isError && (
            <ErrorMessage error={versions.error} title="This prompt could not be loaded" />
          )}
          {versions.data && versions.data.length === 0 && (
            <p className="muted small">This prompt has no versions yet: write one below and save it.</p>
          )}
          {fromVersion && (
            <p className="muted small" data-testid="run-mode">
              {edited
                ? `Edited: runs as ad-hoc messages, based on ${promptName ?? "the prompt"} v${fromVersion.version}.`
                : `Runs ${promptName ?? "the prompt"} v${fromVersion.version} as saved.`}
            </p>
          )}

          <MessagesEditor messages={messages} onChange={setMessages} />
          <div className="row">
            <div className="grow">
              <ModelSelect value={model} onChange={setModel} />
            </div>
          </div>
          <ParamsEditor value={paramsForm} onChange={setParamsForm} errors={paramErrors} />
          <VariablesForm names={names} values={variables} onChange={setVariables} />
          <div className="form-actions">
            {run.status === "running" ? (
              <button type="button" className="btn btn-danger" onClick={stop}>
                Stop
              </button>
            ) : (
              <button
                type="submit"
                className="btn btn-primary"
                disabled={Object.keys(paramErrors).length > 0}
              >
                Run
              </button>
            )}
            <span className="muted small">Ctrl+Enter runs</span>
          </div>
        </form>

        <div className="playground-side">
          <RunOutput run={run} />
          {canWrite && (
            <SavePanel
              promptId={promptId}
              promptName={promptName}
              body={{ messages: toApiMessages(messages), model, params }}
              disabled={Object.keys(paramErrors).length > 0}
              onSaved={(pid, version) => {
                setLoaded(null);
                choose({ prompt: pid, version });
              }}
            />
          )}
        </div>
      </div>
    </>
  );
}

function RunOutput({ run }: { run: RunState }) {
  const e = run.execution;
  return (
    <section className="panel" aria-labelledby="output-title">
      <div className="panel-head">
        <h2 id="output-title">Output</h2>
        {run.status === "running" && (
          <span className="badge badge-muted" role="status">
            <span className="spinner spinner-small" aria-hidden="true" /> Streaming…
          </span>
        )}
        {(run.status === "succeeded" || run.status === "failed") && <StatusBadge status={run.status} />}
        {run.status === "stopped" && <span className="badge badge-muted">stopped</span>}
      </div>
      {run.status === "idle" ? (
        <p className="muted">Run the prompt to see the model's answer here.</p>
      ) : run.status === "failed" && run.text === "" ? null : (
        <pre className="output" aria-live="polite" aria-busy={run.status === "running"} data-testid="output">
          {run.text}
          {run.status === "running" && <span className="caret" aria-hidden="true" />}
        </pre>
      )}
      {run.error ? <ErrorMessage error={run.error} title="The run failed" /> : null}
      {e && (
        <dl className="metrics" data-testid="run-metrics">
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
            <dt>Input tokens</dt>
            <dd>{formatNumber(e.usage.input_tokens)}</dd>
          </div>
          <div>
            <dt>Output tokens</dt>
            <dd>{formatNumber(e.usage.output_tokens)}</dd>
          </div>
          <div>
            <dt>Total tokens</dt>
            <dd>{formatNumber(e.usage.total_tokens)}</dd>
          </div>
        </dl>
      )}
      {(e?.id ?? run.executionId) && run.status !== "running" && (
        <p className="small">
          <Link href={`/executions/${e?.id ?? run.executionId}`}>
            Open execution {e?.id ?? run.executionId}
          </Link>
        </p>
      )}
    </section>
  );
}

function SavePanel({
  promptId,
  promptName,
  body,
  disabled,
  onSaved,
}: {
  promptId: string | null;
  promptName: string | undefined;
  body: { messages: unknown; model: string; params: unknown };
  disabled: boolean;
  onSaved: (promptId: string, version: number) => void;
}) {
  const qc = useQueryClient();
  const [commit, setCommit] = useState("");
  const [name, setName] = useState("");
  const commitId = useId();
  const nameId = useId();
  const saveVersion = useMutation({
    mutationFn: () =>
      api<PromptVersion>(`/api/v1/prompts/${encodeURIComponent(promptId ?? "")}/versions`, {
        body: { ...body, ...(commit ? { commit_message: commit } : {}) },
      }),
    onSuccess: (v) => {
      setCommit("");
      void qc.invalidateQueries({ queryKey: keys.prompts });
      onSaved(v.prompt_id, v.version);
    },
  });
  const savePrompt = useMutation({
    mutationFn: () =>
      api<PromptWithVersion>("/api/v1/prompts", {
        body: { name, version: { ...body, commit_message: "Created in the playground" } },
      }),
    onSuccess: (p) => {
      setName("");
      void qc.invalidateQueries({ queryKey: keys.prompts });
      onSaved(p.id, p.version?.version ?? 1);
    },
  });
  const last = saveVersion.data
    ? { id: saveVersion.data.prompt_id, text: `Saved as version ${saveVersion.data.version}` }
    : savePrompt.data
      ? { id: savePrompt.data.id, text: `Created prompt “${savePrompt.data.name}”` }
      : null;
  return (
    <section className="panel" aria-labelledby="save-title">
      <h2 id="save-title">Save</h2>
      {last && (
        <Notice>
          {last.text}. <Link href={`/prompts/${last.id}`}>Open the prompt</Link>
        </Notice>
      )}
      {promptId && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            saveVersion.mutate();
          }}
        >
          <div className="field">
            <label htmlFor={commitId}>
              Commit message for a new version of {promptName ?? "this prompt"}
            </label>
            <input
              id={commitId}
              value={commit}
              placeholder="What changed?"
              onChange={(e) => setCommit(e.target.value)}
            />
          </div>
          <ErrorMessage error={saveVersion.error} />
          <button type="submit" className="btn" disabled={disabled || saveVersion.isPending}>
            {saveVersion.isPending ? "Saving…" : "Save as new version"}
          </button>
        </form>
      )}
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          savePrompt.mutate();
        }}
      >
        <div className="field">
          <label htmlFor={nameId}>Name of a new prompt</label>
          <input
            id={nameId}
            value={name}
            required
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <ErrorMessage error={savePrompt.error} />
        <button type="submit" className="btn" disabled={disabled || savePrompt.isPending}>
          {savePrompt.isPending ? "Saving…" : "Save as new prompt"}
        </button>
      </form>
    </section>
  );
}
