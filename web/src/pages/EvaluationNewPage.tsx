import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useRef, useState } from "react";
import { Link, useLocation, useSearchParams } from "wouter";
import { api } from "../api/client";
import { keys, useDatasetList, useModels, usePromptOptions, useVersions } from "../api/queries";
import type { EvaluationRun, Model, Prompt } from "../api/types";
import { useCan } from "../auth";
import { PageHeader } from "../components/PageHeader";
import { ErrorMessage, Loading, NoAccess } from "../components/states";
import {
  EVALUATOR_TYPES,
  type EvaluatorForm,
  type EvaluatorType,
  newEvaluator,
  type TargetForm,
  toEvaluatorSpec,
  toTarget,
} from "../lib/evaluation";
import { formatNumber } from "../lib/format";

export function EvaluationNewPage() {
  const canRun = useCan("executions:run");
  const [search] = useSearchParams();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const datasets = useDatasetList();
  const prompts = usePromptOptions(canRun);
  const models = useModels();
  const nextKey = useRef(2);
  const [name, setName] = useState("");
  const [datasetId, setDatasetId] = useState(search.get("dataset") ?? "");
  const [targets, setTargets] = useState<TargetForm[]>([
    { key: 1, promptId: search.get("prompt") ?? "", which: "latest" },
  ]);
  const [chosenModels, setChosenModels] = useState<string[]>([]);
  const [evaluators, setEvaluators] = useState<EvaluatorForm[]>([newEvaluator(1)]);
  const [concurrency, setConcurrency] = useState("4");
  const [localError, setLocalError] = useState<string | null>(null);
  const ids = { name: useId(), dataset: useId(), concurrency: useId() };
  const key = () => nextKey.current++;

  const start = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<EvaluationRun>("/api/v1/evaluations/batch", { body }),
    onSuccess: (run) => {
      void qc.invalidateQueries({ queryKey: keys.evaluations });
      void qc.invalidateQueries({ queryKey: keys.datasets });
      navigate(`/evaluations/${run.id}`);
    },
  });

  if (!canRun) {
    return (
      <>
        <PageHeader title="New evaluation" />
        <NoAccess what="start evaluation runs" />
      </>
    );
  }
  if (datasets.isPending || prompts.isPending) return <Loading label="Loading datasets and prompts…" />;
  if (datasets.isError || prompts.isError) {
    return (
      <>
        <PageHeader title="New evaluation" description={<Link href="/evaluations">← All evaluations</Link>} />
        <ErrorMessage
          error={datasets.error ?? prompts.error}
          title="The form could not be loaded"
          onRetry={() => {
            void datasets.refetch();
            void prompts.refetch();
          }}
        />
      </>
    );
  }
  const dataset = datasets.data.find((d) => d.id === datasetId);
  const cells = (dataset?.item_count ?? 0) * targets.length * chosenModels.length;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError(null);
    if (!datasetId) return setLocalError("Choose a dataset.");
    if (targets.some((t) => !t.promptId))
      return setLocalError("Choose a prompt in every prompt version row.");
    if (chosenModels.length === 0) return setLocalError("Choose at least one model.");
    const specs = [];
    for (const [i, ev] of evaluators.entries()) {
      const r = toEvaluatorSpec(ev);
      if ("error" in r) return setLocalError(`Evaluator ${i + 1}: ${r.error}`);
      specs.push(r.spec);
    }
    if (specs.length === 0) return setLocalError("Add at least one evaluator.");
    const c = Number(concurrency);
    start.mutate({
      ...(name.trim() ? { name: name.trim() } : {}),
      dataset_id: datasetId,
      targets: targets.map(toTarget),
      models: chosenModels,
      evaluators: specs,
      ...(Number.isInteger(c) && c >= 1 && c <= 32 ? { concurrency: c } : {}),
    });
  };

  return (
    <>
      <PageHeader title="New evaluation" description={<Link href="/evaluations">← All evaluations</Link>} />
      <form className="panel form" onSubmit={submit} aria-label="New evaluation">
        <div className="row">
          <div className="field grow">
            <label htmlFor={ids.name}>Name (optional)</label>
            <input
              id={ids.name}
              maxLength={200}
              placeholder="e.g. greeter v2 vs v3"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </div>
          <div className="field grow">
            <label htmlFor={ids.dataset}>Dataset</label>
            <select
              id={ids.dataset}
              required
              value={datasetId}
              onChange={(e) => setDatasetId(e.target.value)}
            >
              <option value="">Choose a dataset</option>
              {datasets.data.map((d) => (
                <option key={d.id} value={d.id} disabled={d.item_count === 0}>
                  {d.name} ({d.item_count === 0 ? "empty" : `${formatNumber(d.item_count)} items`})
                </option>
              ))}
            </select>
          </div>
        </div>
        {datasets.data.length === 0 && (
          <p className="muted small">
            No datasets yet: <Link href="/datasets/new">create one from a file</Link>.
          </p>
        )}

        <fieldset className="stack-tight">
          <legend>Prompt versions</legend>
          {targets.map((t, i) => (
            <TargetRow
              key={t.key}
              index={i}
              target={t}
              prompts={prompts.data}
              onChange={(next) => setTargets(targets.map((x) => (x.key === t.key ? next : x)))}
              onRemove={
                targets.length > 1 ? () => setTargets(targets.filter((x) => x.key !== t.key)) : undefined
              }
            />
          ))}
          {targets.length < 10 && (
            <div>
              <button
                type="button"
                className="btn btn-small"
                onClick={() => setTargets([...targets, { key: key(), promptId: "", which: "latest" }])}
              >
                Add a prompt version
              </button>
            </div>
          )}
          {prompts.data.length === 0 && (
            <p className="muted small">
              No prompts yet: <Link href="/prompts/new">create one</Link>.
            </p>
          )}
        </fieldset>

        <ModelChoice
          models={models.data}
          pending={models.isPending}
          error={models.error}
          chosen={chosenModels}
          onChange={setChosenModels}
        />

        <fieldset className="stack-tight">
          <legend>Evaluators</legend>
          {evaluators.map((ev, i) => (
            <EvaluatorRow
              key={ev.key}
              index={i}
              value={ev}
              models={models.data ?? []}
              onChange={(next) => setEvaluators(evaluators.map((x) => (x.key === ev.key ? next : x)))}
              onRemove={
                evaluators.length > 1
                  ? () => setEvaluators(evaluators.filter((x) => x.key !== ev.key))
                  : undefined
              }
            />
          ))}
          {evaluators.length < 20 && (
            <div>
              <button
                type="button"
                className="btn btn-small"
                onClick={() => setEvaluators([...evaluators, newEvaluator(key(), "contains")])}
              >
                Add an evaluator
              </button>
            </div>
          )}
        </fieldset>

        <div className="row">
          <div className="field">
            <label htmlFor={ids.concurrency}>Concurrency (model calls at once, 1–32)</label>
            <input
              id={ids.concurrency}
              className="input-short"
              type="number"
              min={1}
              max={32}
              value={concurrency}
              onChange={(e) => setConcurrency(e.target.value)}
            />
          </div>
          <p className="muted small grow" data-testid="cell-count">
            {dataset
              ? `${formatNumber(dataset.item_count)} items × ${targets.length} prompt version${targets.length === 1 ? "" : "s"} × ${chosenModels.length} model${chosenModels.length === 1 ? "" : "s"} = ${formatNumber(cells)} model calls`
              : "Choose a dataset to see how many model calls the run makes."}
          </p>
        </div>
        {localError && (
          <p className="field-error" role="alert">
            {localError}
          </p>
        )}
        <ErrorMessage error={start.error} title="The evaluation was not started" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={start.isPending}>
            {start.isPending ? "Starting…" : "Start evaluation"}
          </button>
          <Link href="/evaluations" className="btn">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}

function TargetRow({
  index,
  target,
  prompts,
  onChange,
  onRemove,
}: {
  index: number;
  target: TargetForm;
  prompts: Prompt[];
  onChange: (t: TargetForm) => void;
  onRemove: (() => void) | undefined;
}) {
  const versions = useVersions(target.promptId || null);
  const prompt = prompts.find((p) => p.id === target.promptId);
  const ids = { prompt: useId(), version: useId() };
  return (
    <div className="row">
      <div className="field grow">
        <label htmlFor={ids.prompt}>Prompt {index + 1}</label>
        <select
          id={ids.prompt}
          value={target.promptId}
          onChange={(e) => onChange({ ...target, promptId: e.target.value, which: "latest" })}
        >
          <option value="">Choose a prompt</option>
          {prompts.map((p) => (
            <option key={p.id} value={p.id} disabled={p.latest_version === 0}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field grow">
        <label htmlFor={ids.version}>Version of prompt {index + 1}</label>
        <select
          id={ids.version}
          value={target.which}
          disabled={!target.promptId}
          onChange={(e) => onChange({ ...target, which: e.target.value })}
        >
          <option value="latest">Latest{prompt ? ` (v${prompt.latest_version})` : ""}</option>
          {prompt &&
            Object.entries(prompt.labels).map(([l, v]) => (
              <option key={l} value={`label:${l}`}>
                Label {l} (v{v})
              </option>
            ))}
          {(versions.data ?? [])
            .slice()
            .sort((a, b) => b.version - a.version)
            .map((v) => (
              <option key={v.id} value={`v:${v.version}`}>
                v{v.version}
                {v.commit_message ? ` — ${v.commit_message}` : ""}
                {v.variables.length ? ` (needs ${v.variables.join(", ")})` : ""}
              </option>
            ))}
        </select>
      </div>
      {onRemove && (
        <button
          type="button"
          className="btn btn-small btn-ghost"
          onClick={onRemove}
          aria-label={`Remove prompt ${index + 1}`}
        >
          Remove
        </button>
      )}
    </div>
  );
}

function ModelChoice({
  models,
  pending,
  error,
  chosen,
  onChange,
}: {
  models: Model[] | undefined;
  pending: boolean;
  error: unknown;
  chosen: string[];
  onChange: (m: string[]) => void;
}) {
  const toggle = (slug: string, on: boolean) =>
    onChange(on ? [...chosen, slug] : chosen.filter((m) => m !== slug));
  const list = models ?? [];
  const providers = [...new Set(list.map((m) => m.provider))];
  return (
    <fieldset>
      <legend>Models ({chosen.length} chosen)</legend>
      {pending ? (
        <Loading label="Loading models…" />
      ) : error ? (
        <ErrorMessage error={error} title="Models could not be loaded" />
      ) : (
        providers.map((p) => (
          <div key={p} className="model-group">
            <p className="muted small model-provider">{p}</p>
            <div className="checkbox-grid checkbox-grid-wide">
              {list
                .filter((m) => m.provider === p)
                .map((m) => (
                  <label key={m.slug} className="checkbox" title={m.display_name}>
                    <input
                      type="checkbox"
                      checked={chosen.includes(m.slug)}
                      onChange={(e) => toggle(m.slug, e.target.checked)}
                    />
                    <span className="mono small">{m.slug}</span>
                  </label>
                ))}
            </div>
          </div>
        ))
      )}
    </fieldset>
  );
}

function EvaluatorRow({
  index,
  value,
  models,
  onChange,
  onRemove,
}: {
  index: number;
  value: EvaluatorForm;
  models: Model[];
  onChange: (e: EvaluatorForm) => void;
  onRemove: (() => void) | undefined;
}) {
  const base = useId();
  const id = (k: string) => `${base}-${k}`;
  const n = index + 1;
  const set = (patch: Partial<EvaluatorForm>) => onChange({ ...value, ...patch });
  const hint = EVALUATOR_TYPES.find((t) => t.type === value.type)?.hint;
  return (
    <div className="evaluator-row">
      <div className="row">
        <div className="field">
          <label htmlFor={id("type")}>Evaluator {n}</label>
          <select
            id={id("type")}
            value={value.type}
            onChange={(e) => set({ type: e.target.value as EvaluatorType })}
          >
            {EVALUATOR_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
        {(value.type === "exact_match" || value.type === "contains") && (
          <>
            <div className="field grow">
              <label htmlFor={id("value")}>Compare with (evaluator {n})</label>
              <input
                id={id("value")}
                placeholder="the item's expected output"
                value={value.value}
                onChange={(e) => set({ value: e.target.value })}
              />
            </div>
            <label className="checkbox">
              <input
                type="checkbox"
                checked={value.ignoreCase}
                onChange={(e) => set({ ignoreCase: e.target.checked })}
              />
              Ignore case
            </label>
          </>
        )}
        {value.type === "regex" && (
          <>
            <div className="field grow">
              <label htmlFor={id("pattern")}>Pattern (evaluator {n})</label>
              <input
                id={id("pattern")}
                className="mono"
                value={value.pattern}
                onChange={(e) => set({ pattern: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={id("flags")}>Flags</label>
              <input
                id={id("flags")}
                className="mono input-short"
                placeholder="imsu"
                value={value.flags}
                onChange={(e) => set({ flags: e.target.value })}
              />
            </div>
          </>
        )}
        {value.type === "numeric" && (
          <div className="field">
            <label htmlFor={id("tolerance")}>Tolerance (evaluator {n})</label>
            <input
              id={id("tolerance")}
              inputMode="decimal"
              value={value.tolerance}
              onChange={(e) => set({ tolerance: e.target.value })}
            />
          </div>
        )}
        {value.type === "llm_judge" && (
          <div className="field grow">
            <label htmlFor={id("model")}>Judge model (evaluator {n})</label>
            <select id={id("model")} value={value.model} onChange={(e) => set({ model: e.target.value })}>
              <option value="">Choose a model</option>
              {models.map((m) => (
                <option key={m.slug} value={m.slug}>
                  {m.slug}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={id("threshold")}>Pass at score ≥</label>
          <input
            id={id("threshold")}
            inputMode="decimal"
            className="input-short"
            placeholder="default"
            value={value.threshold}
            onChange={(e) => set({ threshold: e.target.value })}
          />
        </div>
        {onRemove && (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={onRemove}
            aria-label={`Remove evaluator ${n}`}
          >
            Remove
          </button>
        )}
      </div>
      {value.type === "json_schema" && (
        <div className="field">
          <label htmlFor={id("schema")}>JSON Schema (evaluator {n})</label>
          <textarea
            id={id("schema")}
            className="mono"
            rows={5}
            value={value.schema}
            onChange={(e) => set({ schema: e.target.value })}
          />
        </div>
      )}
      {value.type === "llm_judge" && (
        <div className="field">
          <label htmlFor={id("rubric")}>Rubric (evaluator {n})</label>
          <textarea
            id={id("rubric")}
            rows={3}
            value={value.rubric}
            onChange={(e) => set({ rubric: e.target.value })}
          />
        </div>
      )}
      {hint && <p className="muted small">Score: {hint}</p>}
    </div>
  );
}
