/**
 * Workflow definitions in the console: edited as JSON, previewed as a DAG before saving, and the API's
 * validation problems grouped by step. The server is the judge of a definition (dag.ts, service.ts); this
 * only reads it well enough to draw and to place errors.
 */

import type { DefinitionIssue, WorkflowDefinition, WorkflowInputValue, WorkflowStepDef } from "../api/types";
import type { DagEdge } from "./dag";

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const STEP_REF = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)\.(output|json)\b/;

export type ParsedDefinition =
  | { ok: true; definition: WorkflowDefinition }
  | { ok: false; message: string; line?: number; column?: number };

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * Where the first JSON syntax error is, and what it is. The engine's own message does not always give a
 * position, so a small recursive-descent scan finds it. Null for valid JSON.
 */
export function locateJsonError(text: string): { offset: number; message: string } | null {
  let i = 0;
  class Stop {
    constructor(
      readonly offset: number,
      readonly message: string,
    ) {}
  }
  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const found = () => (i >= text.length ? "the end of the text" : `“${text[i]}”`);
  const string = () => {
    i++; // the opening quote
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1] ?? "";
        if ('"\\/bfnrt'.includes(e) && e !== "") i += 2;
        else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail("a bad escape in a string");
      } else if (c < " ")
        fail(c === "\n" ? "a line break inside a string (write \\n)" : "a control character inside a string");
      else i++;
    }
    fail('a string that is never closed (missing ")');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        string();
        ws();
        if (text[i] !== ":") fail(`expected “:” after the property name, found ${found()}`);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail(`expected “,” or “}” after a property, found ${found()}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail(`expected “,” or “]” after an item, found ${found()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (num?.[0]) {
      i += num[0].length;
      return;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`expected a value, found ${found()}`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON`);
    return null;
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, message: err.message };
    throw err;
  }
}

/**
 * The JSON text as a definition: valid JSON, an object with a `steps` array of objects with an `id`. The
 * rest (types, references, prompts) is the API's to check, and its errors are shown per step.
 */
export function parseDefinitionText(text: string): ParsedDefinition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const where = locateJsonError(text);
    if (!where) return { ok: false, message: `Not valid JSON: ${(err as Error).message}` };
    const { line, column } = lineColumn(text, where.offset);
    return {
      ok: false,
      message: `Not valid JSON: ${where.message} (line ${line}, column ${column})`,
      line,
      column,
    };
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    return { ok: false, message: 'The definition must be a JSON object: {"inputs": […], "steps": […], …}' };
  const def = value as Partial<WorkflowDefinition>;
  if (!Array.isArray(def.steps) || def.steps.length === 0)
    return { ok: false, message: 'The definition needs a "steps" array with at least one step' };
  const badStep = def.steps.findIndex(
    (s) => !s || typeof s !== "object" || typeof (s as WorkflowStepDef).id !== "string",
  );
  if (badStep >= 0) return { ok: false, message: `Step ${badStep + 1} needs an "id" (a string)` };
  return { ok: true, definition: value as WorkflowDefinition };
}

/** Every string inside a step, for finding its references, whatever op it is. */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/** The step ids a template string references through {{steps.<id>.output}} or {{steps.<id>.json…}}. */
export function stepRefs(template: string): string[] {
  const ids: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const id = STEP_REF.exec(m[1] ?? "")?.[1];
    if (id && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The DAG a definition implies: an edge from each referenced step to the step referencing it. */
export function definitionEdges(def: WorkflowDefinition): DagEdge[] {
  const ids = new Set(def.steps.map((s) => s.id));
  const edges: DagEdge[] = [];
  for (const step of def.steps) {
    const { id: _id, type: _type, op: _op, prompt_id: _p, label: _l, model: _m, ...rest } = step;
    const deps = new Set<string>();
    for (const s of stringsIn(rest))
      for (const ref of stepRefs(s)) if (ids.has(ref) && ref !== step.id) deps.add(ref);
    for (const from of deps) edges.push({ from, to: step.id });
  }
  return edges;
}

/** A short description of what a step does, for the DAG's nodes and the steps table. */
export function describeStep(step: WorkflowStepDef, promptName?: (id: string) => string | undefined): string {
  if (step.type === "prompt") {
    const name = step.prompt_id ? (promptName?.(step.prompt_id) ?? step.prompt_id) : "prompt";
    const which =
      step.version !== undefined ? ` v${step.version}` : step.label !== undefined ? ` @${step.label}` : "";
    return `${name}${which}${step.model ? ` on ${step.model}` : ""}`;
  }
  return step.op ? `${step.op}` : "transform";
}

export interface IssueGroup {
  /** the step's id, or null for problems with the inputs, the output or the whole definition */
  step: string | null;
  issues: Array<{ path: string; message: string }>;
}

/**
 * The API's validation problems by step, in the definition's order, then the ones no step owns. A
 * problem names its step (`{step, path, message}` from the DAG checks), or only a path such as
 * `body.definition.steps.2.op` (the schema's checks), which is mapped to the step at that index.
 */
export function groupIssues(details: unknown, def: WorkflowDefinition | null): IssueGroup[] {
  if (!Array.isArray(details)) return [];
  const steps = def?.steps ?? [];
  const groups = new Map<string | null, IssueGroup>();
  for (const d of details) {
    if (!d || typeof d !== "object" || typeof (d as DefinitionIssue).message !== "string") continue;
    const issue = d as DefinitionIssue;
    const path = typeof issue.path === "string" ? issue.path : "";
    let step: string | null = typeof issue.step === "string" ? issue.step : null;
    let local = path;
    const m = /(?:^|\.)definition\.steps\.(\d+)(?:\.(.*))?$/.exec(path);
    if (m) {
      const index = Number(m[1]);
      step ??= steps[index]?.id ?? `step ${index + 1}`;
      local = m[2] ?? "";
    } else {
      local = path.replace(/^(body\.)?definition\.?/, "");
    }
    const group = groups.get(step) ?? { step, issues: [] };
    group.issues.push({ path: local, message: issue.message });
    groups.set(step, group);
  }
  const order = (g: IssueGroup) => {
    if (g.step === null) return Number.MAX_SAFE_INTEGER;
    const i = steps.findIndex((s) => s.id === g.step);
    return i === -1 ? Number.MAX_SAFE_INTEGER - 1 : i;
  };
  return [...groups.values()].sort((a, b) => order(a) - order(b));
}

/** A definition to start from: two steps in parallel on one input, joined by a third. */
export function starterDefinition(): WorkflowDefinition {
  return {
    inputs: [{ name: "topic" }],
    steps: [
      { id: "shout", type: "transform", op: "uppercase", input: "{{inputs.topic}}" },
      { id: "whisper", type: "transform", op: "lowercase", input: "{{inputs.topic}}" },
      {
        id: "join",
        type: "transform",
        op: "template",
        template: "{{steps.shout.output}} / {{steps.whisper.output}}",
      },
    ],
    output: "{{steps.join.output}}",
    failure_policy: "fail_fast",
  };
}

/** A step id not yet used, from a name: "Greeter v2" → "greeter_v2", then "greeter_v2_2". */
export function uniqueStepId(name: string, taken: readonly string[]): string {
  let base = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 48);
  if (!/^[a-z_]/.test(base)) base = `step_${base}`.replace(/_+$/, "");
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}_${n}`;
  return id;
}

/**
 * The definition with a prompt step added: each of the prompt's variables comes from a workflow input of
 * the same name, declared when missing. The new step runs in parallel with the others until something
 * references it.
 */
export function addPromptStep(
  def: WorkflowDefinition,
  prompt: { id: string; name: string },
  variables: readonly string[],
): WorkflowDefinition {
  const inputs = [...(def.inputs ?? [])];
  for (const v of variables) {
    if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(v) && !inputs.some((i) => i.name === v)) inputs.push({ name: v });
  }
  const id = uniqueStepId(
    prompt.name,
    def.steps.map((s) => s.id),
  );
  const step: WorkflowStepDef = {
    id,
    type: "prompt",
    prompt_id: prompt.id,
    variables: Object.fromEntries(
      variables.map((v) => [v, /^[A-Za-z_][A-Za-z0-9_-]*$/.test(v) ? `{{inputs.${v}}}` : ""]),
    ),
  };
  return { ...def, inputs, steps: [...def.steps, step] };
}

/**
 * The inputs to send for a run: typed-in values as strings; a blank optional input (or one with a
 * default) is left out so its default applies.
 */
export function runInputs(
  defs: WorkflowDefinition["inputs"],
  values: Record<string, string>,
): Record<string, WorkflowInputValue> {
  const out: Record<string, WorkflowInputValue> = {};
  for (const d of defs ?? []) {
    const v = values[d.name] ?? "";
    const optional = d.default !== undefined || d.required === false;
    if (v === "" && optional) continue;
    out[d.name] = v;
  }
  return out;
}

export function isInputRequired(d: { required?: boolean; default?: WorkflowInputValue }): boolean {
  return d.required ?? d.default === undefined;
}
