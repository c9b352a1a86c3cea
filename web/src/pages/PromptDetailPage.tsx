import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { keys, usePrompt, useVersions } from "../api/queries";
import type { Prompt, PromptVersion, PromptWithVersion } from "../api/types";
import { Can, useCan } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import { DescriptionField } from "../components/DescriptionField";
import { DiffView } from "../components/DiffView";
import { MessagesView } from "../components/editors";
import { NameField } from "../components/NameField";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { LabelChip } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading, Notice } from "../components/states";
import { TemplateFields, useTemplateState } from "../components/TemplateForm";
import { formatDateTime, formatRelative } from "../lib/format";
import { emptyParams, paramsToForm, toEditable, versionAsText } from "../lib/template";
import { parseTags } from "./PromptNewPage";

type Tab = "overview" | "history" | "edit";

export function PromptDetailPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const tab: Tab = params.tab === "history" || params.tab === "edit" ? params.tab : "overview";
  const prompt = usePrompt(id);
  const canWrite = useCan("prompts:write");
  const canRun = useCan("executions:run");
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const del = useMutation({
    mutationFn: () => api(`/api/v1/prompts/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.prompts });
      navigate("/prompts");
    },
  });

  if (prompt.isPending) return <Loading label="Loading the prompt…" />;
  if (prompt.isError) {
    return (
      <PageLoadError
        title="Prompt"
        back={<Link href="/prompts">← All prompts</Link>}
        query={prompt}
        message="This prompt could not be loaded"
      />
    );
  }
  const p = prompt.data;
  const tabs: Array<{ key: Tab; label: string; show: boolean }> = [
    { key: "overview", label: "Overview", show: true },
    { key: "history", label: `History (${p.latest_version})`, show: true },
    { key: "edit", label: "Edit", show: canWrite },
  ];
  return (
    <>
      <PageHeader
        title={p.name}
        description={p.description || undefined}
        actions={
          <>
            {canRun && p.version && (
              <Link href={`/playground?prompt=${p.id}&version=${p.latest_version}`} className="btn">
                Open in playground
              </Link>
            )}
            <Can permission="prompts:write">
              <Link href={`/prompts/${p.id}/edit`} className="btn btn-primary">
                Edit
              </Link>
              <ConfirmButton
                label="Delete"
                confirmLabel="Delete prompt"
                question="Delete this prompt and all its versions? Executions are kept."
                small={false}
                pending={del.isPending}
                onConfirm={() => del.mutate()}
              />
            </Can>
          </>
        }
      >
        <p className="breadcrumb">
          <Link href="/prompts">Prompts</Link> / <span className="mono small">{p.id}</span>
        </p>
        {p.tags.length > 0 && (
          <p>
            {p.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </p>
        )}
      </PageHeader>
      <ErrorMessage error={del.error} title="The prompt was not deleted" />
      <nav className="tabs" aria-label="Prompt sections">
        {tabs
          .filter((t) => t.show)
          .map((t) => (
            <Link
              key={t.key}
              href={t.key === "overview" ? `/prompts/${p.id}` : `/prompts/${p.id}/${t.key}`}
              className={`tab ${tab === t.key ? "active" : ""}`}
              aria-current={tab === t.key ? "page" : undefined}
            >
              {t.label}
            </Link>
          ))}
      </nav>
      {tab === "overview" && <Overview prompt={p} />}
      {tab === "history" && <History prompt={p} />}
      {tab === "edit" &&
        (canWrite ? (
          <EditPrompt prompt={p} />
        ) : (
          <EmptyState title="Editing needs the prompts:write permission" />
        ))}
    </>
  );
}

function Overview({ prompt }: { prompt: PromptWithVersion }) {
  const v = prompt.version;
  return (
    <div className="two-col">
      <section className="panel" aria-labelledby="latest-title">
        <div className="panel-head">
          <h2 id="latest-title">{v ? `Version ${v.version} (latest)` : "No versions yet"}</h2>
        </div>
        {v ? (
          <VersionDetails version={v} />
        ) : (
          <EmptyState title="This prompt has no version yet">
            <Can permission="prompts:write">
              <p>
                <Link href={`/prompts/${prompt.id}/edit`}>Write the first version</Link>
              </p>
            </Can>
          </EmptyState>
        )}
      </section>
      <LabelsPanel prompt={prompt} />
    </div>
  );
}

function VersionDetails({ version: v }: { version: PromptVersion }) {
  const params = Object.entries(v.params);
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Model</dt>
          <dd className="mono">{v.model}</dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd className="mono">
            {params.length === 0
              ? "model defaults"
              : params.map(([k, val]) => `${k}=${JSON.stringify(val)}`).join(", ")}
          </dd>
        </div>
        <div>
          <dt>Variables</dt>
          <dd className="mono">{v.variables.length === 0 ? "none" : v.variables.join(", ")}</dd>
        </div>
        <div>
          <dt>Saved</dt>
          <dd title={v.created_at}>
            {formatDateTime(v.created_at)}
            {v.commit_message ? ` — ${v.commit_message}` : ""}
          </dd>
        </div>
      </dl>
      <MessagesView messages={v.messages} />
    </>
  );
}

const SUGGESTED_LABELS = ["production", "staging", "latest-stable"];

function LabelsPanel({ prompt }: { prompt: Prompt }) {
  const qc = useQueryClient();
  const canWrite = useCan("prompts:write");
  const [label, setLabel] = useState("production");
  const [version, setVersion] = useState(String(prompt.latest_version));
  const ids = { label: useId(), version: useId(), list: useId() };
  const invalidate = () => qc.invalidateQueries({ queryKey: keys.prompts });
  const move = useMutation({
    mutationFn: () =>
      api<{ label: string; version: number }>(
        `/api/v1/prompts/${encodeURIComponent(prompt.id)}/labels/${encodeURIComponent(label)}`,
        {
          method: "PUT",
          body: { version: Number(version) },
        },
      ),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (l: string) =>
      api(`/api/v1/prompts/${encodeURIComponent(prompt.id)}/labels/${encodeURIComponent(l)}`, {
        method: "DELETE",
      }),
    onSuccess: invalidate,
  });
  useEffect(() => setVersion(String(prompt.latest_version)), [prompt.latest_version]);
  const labels = Object.entries(prompt.labels).sort(([a], [b]) => a.localeCompare(b));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    move.mutate();
  };
  return (
    <section className="panel" aria-labelledby="labels-title">
      <h2 id="labels-title">Labels</h2>
      <p className="muted small">
        A label names the version that callers get with <code>{'{"label": "production"}'}</code>.
      </p>
      {labels.length === 0 ? (
        <p className="muted">No labels yet.</p>
      ) : (
        <ul className="label-list">
          {labels.map(([l, v]) => (
            <li key={l}>
              <LabelChip label={l} version={v} />
              {canWrite && (
                <ConfirmButton
                  label="Remove"
                  accessibleLabel={`Remove label ${l}`}
                  confirmLabel="Remove"
                  question={`Remove “${l}”?`}
                  onConfirm={() => remove.mutate(l)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorMessage error={remove.error} />
      {canWrite && prompt.latest_version > 0 && (
        <form className="stack" onSubmit={submit} aria-label="Move a label">
          <div className="row">
            <div className="field grow">
              <label htmlFor={ids.label}>Label</label>
              <input
                id={ids.label}
                list={ids.list}
                required
                pattern="[a-z0-9][a-z0-9._\-]*"
                title="lowercase letters, digits, '.', '_' or '-'"
                value={label}
                onChange={(e) => setLabel(e.target.value)}
              />
              <datalist id={ids.list}>
                {[...new Set([...labels.map(([l]) => l), ...SUGGESTED_LABELS])].map((l) => (
                  <option key={l} value={l} />
                ))}
              </datalist>
            </div>
            <div className="field">
              <label htmlFor={ids.version}>Version</label>
              <select id={ids.version} value={version} onChange={(e) => setVersion(e.target.value)}>
                {Array.from({ length: prompt.latest_version }, (_, i) => prompt.latest_version - i).map(
                  (n) => (
                    <option key={n} value={n}>
                      v{n}
                    </option>
                  ),
                )}
              </select>
            </div>
          </div>
          <ErrorMessage error={move.error} />
          {move.data && !move.isPending && (
            <Notice>
              “{move.data.label}” now points at v{move.data.version}.
            </Notice>
          )}
          <button type="submit" className="btn" disabled={move.isPending}>
            {prompt.labels[label] !== undefined ? "Move label" : "Set label"}
          </button>
        </form>
      )}
    </section>
  );
}

function History({ prompt }: { prompt: Prompt }) {
  const versions = useVersions(prompt.id);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const labelsOf = (n: number) => Object.entries(prompt.labels).filter(([, v]) => v === n);
  if (versions.isPending) return <Loading label="Loading versions…" />;
  if (versions.isError) return <ErrorMessage error={versions.error} title="Versions could not be loaded" />;
  const list = versions.data;
  if (list.length === 0) return <EmptyState title="No versions yet" />;
  const newest = list[0]?.version ?? 1;
  const b = to ?? newest;
  const a = from ?? list.find((v) => v.version < b)?.version ?? b;
  const va = list.find((v) => v.version === a);
  const vb = list.find((v) => v.version === b);
  return (
    <>
      <section className="panel" aria-labelledby="history-title">
        <h2 id="history-title">Versions</h2>
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Versions, newest first; choose two to compare</caption>
            <thead>
              <tr>
                <th scope="col">Compare from</th>
                <th scope="col">to</th>
                <th scope="col">Version</th>
                <th scope="col">Commit message</th>
                <th scope="col">Model</th>
                <th scope="col">Labels</th>
                <th scope="col">Saved</th>
              </tr>
            </thead>
            <tbody>
              {list.map((v) => (
                <tr key={v.version}>
                  <td>
                    <input
                      type="radio"
                      name="diff-from"
                      aria-label={`Compare from v${v.version}`}
                      checked={a === v.version}
                      onChange={() => setFrom(v.version)}
                    />
                  </td>
                  <td>
                    <input
                      type="radio"
                      name="diff-to"
                      aria-label={`Compare to v${v.version}`}
                      checked={b === v.version}
                      onChange={() => setTo(v.version)}
                    />
                  </td>
                  <td className="strong">v{v.version}</td>
                  <td>{v.commit_message || <span className="muted">—</span>}</td>
                  <td className="mono small">{v.model}</td>
                  <td>
                    {labelsOf(v.version).map(([l]) => (
                      <LabelChip key={l} label={l} />
                    ))}
                  </td>
                  <td className="nowrap" title={v.created_at}>
                    {formatRelative(v.created_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {va && vb && (
        <section className="panel" aria-labelledby="diff-title">
          <h2 id="diff-title">Diff</h2>
          {list.length === 1 ? (
            <p className="muted">Only one version so far: save another to compare.</p>
          ) : (
            <DiffView before={versionAsText(va)} after={versionAsText(vb)} labels={[`v${a}`, `v${b}`]} />
          )}
        </section>
      )}
    </>
  );
}

function EditPrompt({ prompt }: { prompt: PromptWithVersion }) {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const v = prompt.version;
  const t = useTemplateState(
    v
      ? { messages: toEditable(v.messages), model: v.model, params: paramsToForm(v.params) }
      : { messages: [{ role: "user", text: "", otherParts: [] }], model: "mock/echo", params: emptyParams },
  );
  const [commit, setCommit] = useState("");
  const [name, setName] = useState(prompt.name);
  const [description, setDescription] = useState(prompt.description);
  const [tags, setTags] = useState(prompt.tags.join(", "));
  const ids = { commit: useId(), tags: useId() };
  const saveVersion = useMutation({
    mutationFn: () =>
      api<PromptVersion>(`/api/v1/prompts/${encodeURIComponent(prompt.id)}/versions`, {
        body: { ...t.body, ...(commit ? { commit_message: commit } : {}) },
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.prompts });
      navigate(`/prompts/${prompt.id}/history`);
    },
  });
  const saveDetails = useMutation({
    mutationFn: () =>
      api<Prompt>(`/api/v1/prompts/${encodeURIComponent(prompt.id)}`, {
        method: "PATCH",
        body: { name, description, tags: parseTags(tags) },
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.prompts }),
  });
  return (
    <div className="two-col two-col-wide">
      <form
        className="panel form"
        aria-labelledby="edit-title"
        onSubmit={(e) => {
          e.preventDefault();
          saveVersion.mutate();
        }}
      >
        <h2 id="edit-title">New version</h2>
        <p className="muted small">
          Versions are immutable: saving creates v{prompt.latest_version + 1}. Labels stay where they are
          until you move them.
        </p>
        <TemplateFields value={t.value} onChange={t.setValue} />
        <div className="field">
          <label htmlFor={ids.commit}>Commit message</label>
          <input
            id={ids.commit}
            placeholder="What changed?"
            value={commit}
            onChange={(e) => setCommit(e.target.value)}
          />
        </div>
        <ErrorMessage error={saveVersion.error} title="The version was not saved" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!t.valid || saveVersion.isPending}>
            {saveVersion.isPending ? "Saving…" : `Save as v${prompt.latest_version + 1}`}
          </button>
          <Link href={`/prompts/${prompt.id}`} className="btn">
            Cancel
          </Link>
        </div>
      </form>
      <form
        className="panel form"
        aria-labelledby="details-title"
        onSubmit={(e) => {
          e.preventDefault();
          saveDetails.mutate();
        }}
      >
        <h2 id="details-title">Details</h2>
        <NameField value={name} onChange={setName} />
        <DescriptionField value={description} onChange={setDescription} rows={3} />
        <div className="field">
          <label htmlFor={ids.tags}>Tags</label>
          <input
            id={ids.tags}
            value={tags}
            placeholder="comma-separated"
            onChange={(e) => setTags(e.target.value)}
          />
        </div>
        <ErrorMessage error={saveDetails.error} title="The details were not saved" />
        {saveDetails.isSuccess && <Notice>Details saved.</Notice>}
        <button type="submit" className="btn" disabled={saveDetails.isPending}>
          {saveDetails.isPending ? "Saving…" : "Save details"}
        </button>
      </form>
    </div>
  );
}
