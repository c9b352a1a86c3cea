import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useMemo, useState } from "react";
import { Link, useLocation } from "wouter";
import { api, isApiError } from "../api/client";
import { keys, usePrompt, usePromptOptions, useWorkflow } from "../api/queries";
import type { Prompt, Workflow, WorkflowDefinition } from "../api/types";
import { useCan } from "../auth";
import { DagView } from "../components/DagView";
import { DescriptionField } from "../components/DescriptionField";
import { NameField } from "../components/NameField";
import { PageHeader } from "../components/PageHeader";
import { PageLoadError } from "../components/PageLoadError";
import { ErrorMessage, Loading, NoAccess } from "../components/states";
import {
  addPromptStep,
  definitionEdges,
  describeStep,
  groupIssues,
  parseDefinitionText,
  starterDefinition,
} from "../lib/workflow";

const pretty = (d: WorkflowDefinition) => JSON.stringify(d, null, 2);

/** Create (no id) or edit (params.id) a workflow: name, description and its definition as JSON. */
export function WorkflowEditPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const canWrite = useCan("prompts:write");
  const existing = useWorkflow(canWrite ? id : "");
  const title = id ? "Edit workflow" : "New workflow";
  const back = id ? (
    <Link href={`/workflows/${id}`}>← Back to the workflow</Link>
  ) : (
    <Link href="/workflows">← All workflows</Link>
  );
  if (!canWrite) {
    return (
      <>
        <PageHeader title={title} />
        <NoAccess what={id ? "edit workflows" : "create workflows"} />
      </>
    );
  }
  if (id && existing.isPending) return <Loading label="Loading the workflow…" />;
  if (id && existing.isError) {
    return (
      <PageLoadError title={title} back={back} query={existing} message="This workflow could not be loaded" />
    );
  }
  return (
    <>
      <PageHeader title={title} description={back} />
      <WorkflowForm key={existing.data?.id ?? "new"} workflow={existing.data ?? null} />
    </>
  );
}

function WorkflowForm({ workflow }: { workflow: Workflow | null }) {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const prompts = usePromptOptions();
  const [name, setName] = useState(workflow?.name ?? "");
  const [description, setDescription] = useState(workflow?.description ?? "");
  const [text, setText] = useState(pretty(workflow?.definition ?? starterDefinition()));
  const [promptToAdd, setPromptToAdd] = useState("");
  const ids = {
    definition: useId(),
    hint: useId(),
    parse: useId(),
    add: useId(),
  };
  const parsed = useMemo(() => parseDefinitionText(text), [text]);
  const definition = parsed.ok ? parsed.definition : null;
  const promptName = (pid: string) => prompts.data?.find((p) => p.id === pid)?.name;

  const save = useMutation({
    mutationFn: (def: WorkflowDefinition) =>
      workflow
        ? api<Workflow>(`/api/v1/workflows/${encodeURIComponent(workflow.id)}`, {
            method: "PUT",
            body: { name, description, definition: def },
          })
        : api<Workflow>("/api/v1/workflows", {
            body: { name, ...(description ? { description } : {}), definition: def },
          }),
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: keys.workflows });
      qc.setQueryData(keys.workflow(w.id), w);
      navigate(`/workflows/${w.id}`);
    },
  });
  const issues =
    save.error && isApiError(save.error) && save.error.code === "validation_failed"
      ? groupIssues(save.error.details, definition)
      : [];
  const flagged = new Set(issues.map((g) => g.step).filter((s): s is string => s !== null));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (definition) save.mutate(definition);
  };
  const selected = prompts.data?.find((p) => p.id === promptToAdd);

  return (
    <form className="form" onSubmit={submit} aria-label={workflow ? "Edit workflow" : "New workflow"}>
      <div className="panel form">
        <NameField value={name} onChange={setName} />
        <DescriptionField value={description} onChange={setDescription} />
      </div>
      <div className="two-col two-col-even">
        <section className="panel form" aria-labelledby={`${ids.definition}-title`}>
          <h2 id={`${ids.definition}-title`}>Definition</h2>
          <div className="field">
            <label htmlFor={ids.definition}>Definition (JSON)</label>
            <textarea
              id={ids.definition}
              className="mono code-editor"
              rows={24}
              spellCheck={false}
              value={text}
              aria-invalid={parsed.ok ? undefined : true}
              aria-describedby={`${ids.hint}${parsed.ok ? "" : ` ${ids.parse}`}`}
              onChange={(e) => setText(e.target.value)}
            />
            {!parsed.ok && (
              <span className="field-error" id={ids.parse} role="status">
                {parsed.message}
              </span>
            )}
          </div>
          <p id={ids.hint} className="muted small">
            Steps are <code>prompt</code> (a saved prompt: <code>prompt_id</code>, optional{" "}
            <code>version</code> or <code>label</code>, <code>variables</code>) or <code>transform</code> (
            <code>op</code>: template, concat, json_parse, json_get, uppercase, lowercase, trim). Reference{" "}
            <code>{"{{inputs.name}}"}</code> and <code>{"{{steps.id.output}}"}</code>: a step runs after every
            step it references.
          </p>
          <div className="row">
            <div className="field grow">
              <label htmlFor={ids.add}>Add a prompt step</label>
              <select id={ids.add} value={promptToAdd} onChange={(e) => setPromptToAdd(e.target.value)}>
                <option value="">Choose a prompt</option>
                {prompts.data?.map((p) => (
                  <option key={p.id} value={p.id} disabled={p.latest_version === 0}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <AddPromptButton
              prompt={selected}
              disabled={!definition}
              onAdd={(variables) => {
                if (!definition || !selected) return;
                setText(pretty(addPromptStep(definition, selected, variables)));
                setPromptToAdd("");
              }}
            />
            <button
              type="button"
              className="btn"
              disabled={!definition}
              onClick={() => definition && setText(pretty(definition))}
            >
              Format JSON
            </button>
          </div>
        </section>
        <section className="panel" aria-labelledby={`${ids.definition}-preview`}>
          <h2 id={`${ids.definition}-preview`}>Preview</h2>
          {definition ? (
            <DagView
              title="Graph"
              nodes={definition.steps.map((s) => ({
                id: s.id,
                type: String(s.type),
                detail: describeStep(s, promptName),
                ...(flagged.has(s.id) ? { flagged: true } : {}),
              }))}
              edges={definitionEdges(definition)}
            />
          ) : (
            <p className="muted">The graph appears once the definition is valid JSON.</p>
          )}
        </section>
      </div>
      {issues.length > 0 && save.error && isApiError(save.error) ? (
        <div className="alert alert-error" role="alert" data-testid="definition-errors">
          <p className="alert-title">The workflow was not saved</p>
          <p className="alert-message">{save.error.message}</p>
          <ul className="issue-groups">
            {issues.map((g) => (
              <li key={g.step ?? "(workflow)"}>
                <span className="strong">{g.step ? `Step “${g.step}”` : "Inputs, output and the rest"}</span>
                <ul>
                  {g.issues.map((i, n) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: messages can repeat
                    <li key={n}>
                      {i.path && <span className="mono small">{i.path}: </span>}
                      {i.message}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
          <p className="alert-meta">
            {save.error.code} · HTTP {save.error.status}
            {save.error.requestId ? ` · request ${save.error.requestId}` : ""}
          </p>
        </div>
      ) : (
        <ErrorMessage error={save.error} title="The workflow was not saved" />
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={!definition || save.isPending}>
          {save.isPending ? "Saving…" : workflow ? "Save workflow" : "Create workflow"}
        </button>
        <Link href={workflow ? `/workflows/${workflow.id}` : "/workflows"} className="btn">
          Cancel
        </Link>
      </div>
    </form>
  );
}

/** Adds the chosen prompt's latest version as a step, its variables wired to inputs of the same names. */
function AddPromptButton({
  prompt,
  disabled,
  onAdd,
}: {
  prompt: Prompt | undefined;
  disabled: boolean;
  onAdd: (variables: string[]) => void;
}) {
  const full = usePrompt(prompt?.id ?? null);
  const variables = full.data?.version?.variables ?? [];
  return (
    <button
      type="button"
      className="btn"
      disabled={disabled || !prompt || full.isPending}
      onClick={() => onAdd(variables)}
    >
      Add step
    </button>
  );
}
