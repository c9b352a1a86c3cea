import type { StepRunStatus } from "../../lib/db-types.ts";
import type { Definition, InputValue, Step } from "./schemas.ts";

/**
 * The pure half of workflows: the reference syntax, its renderer, the DAG a definition implies, its
 * validation and the scheduler's decisions. No I/O here, so all of it is unit- and property-tested.
 *
 * References, inside any step template or the output template:
 *   {{inputs.<name>}}             a workflow input
 *   {{steps.<id>.output}}         a step's output text
 *   {{steps.<id>.json.<path>}}    a key path (dots; digits index arrays) into a step's output parsed as JSON;
 *                                 {{steps.<id>.json}} is the whole value, re-serialized
 * Whitespace inside the braces is allowed. Values are inserted verbatim, never re-expanded. Any other
 * `{{…}}` is an error, so a typo cannot pass through to a model as literal text.
 * A step depends on every step it references.
 */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const INPUT_REF = /^inputs\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const STEP_REF = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)\.(output|json)((?:\.[^.\s]+)*)$/;

export type Ref = { kind: "input"; name: string } | { kind: "step"; id: string; json: string[] | null };

export function parseRef(expr: string): Ref | null {
  const input = INPUT_REF.exec(expr);
  if (input?.[1]) return { kind: "input", name: input[1] };
  const step = STEP_REF.exec(expr);
  if (!step?.[1]) return null;
  if (step[2] === "output") return step[3] ? null : { kind: "step", id: step[1], json: null };
  return { kind: "step", id: step[1], json: step[3] ? step[3].slice(1).split(".") : [] };
}

/** Every placeholder in a template: the parsed references, and the raw text of those that do not parse. */
export function scanTemplate(template: string): { refs: Ref[]; invalid: string[] } {
  const refs: Ref[] = [];
  const invalid: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const ref = parseRef(m[1] ?? "");
    if (ref) refs.push(ref);
    else invalid.push(m[0]);
  }
  return { refs, invalid };
}

/** A step's templates with their paths inside the step (for error details). */
export function templatesOf(step: Step): Array<{ path: string; template: string }> {
  if (step.type === "prompt") {
    return Object.entries(step.variables).map(([k, t]) => ({ path: `variables.${k}`, template: t }));
  }
  switch (step.op) {
    case "template":
      return [{ path: "template", template: step.template }];
    case "concat":
      return step.inputs.map((t, i) => ({ path: `inputs.${i}`, template: t }));
    default:
      return [{ path: "input", template: step.input }];
  }
}

export function outputTemplates(def: Definition): Array<{ path: string; template: string }> {
  if (typeof def.output === "string") return [{ path: "output", template: def.output }];
  return Object.entries(def.output).map(([k, t]) => ({ path: `output.${k}`, template: t }));
}

/** Each step's dependencies: the known steps it references, in first-reference order. */
export function dependencies(def: Definition): Map<string, string[]> {
  const ids = new Set(def.steps.map((s) => s.id));
  const out = new Map<string, string[]>();
  for (const step of def.steps) {
    const deps = new Set<string>();
    for (const { template } of templatesOf(step)) {
      for (const ref of scanTemplate(template).refs) {
        if (ref.kind === "step" && ids.has(ref.id) && ref.id !== step.id) deps.add(ref.id);
      }
    }
    out.set(step.id, [...deps]);
  }
  return out;
}

/** One cycle's steps in order (the first repeated at the end), or null when the graph is acyclic. */
export function findCycle(ids: string[], deps: Map<string, string[]>): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, "visiting");
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      const s = state.get(d);
      // the path runs dependent → dependency; reversed, it reads in execution order
      if (s === "visiting") return [...stack.slice(stack.indexOf(d)), d].reverse();
      if (!s) {
        const found = visit(d);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, "done");
    return null;
  };
  for (const id of ids) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return null;
}

/** Kahn's algorithm, ties broken by definition order, so the order is stable. Throws on a cycle. */
export function topologicalOrder(ids: string[], deps: Map<string, string[]>): string[] {
  const remaining = new Map(ids.map((id) => [id, new Set(deps.get(id) ?? [])]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining.keys()].filter((id) => remaining.get(id)?.size === 0);
    if (ready.length === 0) throw new Error(`cycle among ${[...remaining.keys()].join(", ")}`);
    for (const id of ready) {
      order.push(id);
      remaining.delete(id);
      for (const set of remaining.values()) set.delete(id);
    }
  }
  return order;
}

/** Longest distance from a root, per step: the column the console draws it in. */
export function levels(ids: string[], deps: Map<string, string[]>): Map<string, number> {
  const level = new Map<string, number>();
  for (const id of topologicalOrder(ids, deps)) {
    level.set(id, Math.max(-1, ...(deps.get(id) ?? []).map((d) => level.get(d) ?? 0)) + 1);
  }
  return level;
}

/** One problem with a definition, for the 400's details. `step` is null for inputs and the output. */
export interface Issue {
  step: string | null;
  path: string;
  message: string;
}

/** Everything wrong with a definition that can be known without the database. */
export function validateStructure(def: Definition): Issue[] {
  const issues: Issue[] = [];
  const inputs = new Set<string>();
  def.inputs.forEach((input, i) => {
    if (inputs.has(input.name)) {
      issues.push({
        step: null,
        path: `definition.inputs.${i}.name`,
        message: `input "${input.name}" is declared twice`,
      });
    }
    inputs.add(input.name);
  });
  const ids = new Set<string>();
  def.steps.forEach((step, i) => {
    if (ids.has(step.id)) {
      issues.push({
        step: step.id,
        path: `definition.steps.${i}.id`,
        message: `step id "${step.id}" is used twice`,
      });
    }
    ids.add(step.id);
  });
  const check = (step: string | null, path: string, template: string) => {
    const { refs, invalid } = scanTemplate(template);
    for (const raw of invalid) {
      issues.push({
        step,
        path,
        message: `${raw} is not a reference; use {{inputs.<name>}}, {{steps.<id>.output}} or {{steps.<id>.json.<path>}}`,
      });
    }
    for (const ref of refs) {
      if (ref.kind === "input" && !inputs.has(ref.name)) {
        issues.push({ step, path, message: `unknown input "${ref.name}" (declare it in inputs)` });
      } else if (ref.kind === "step" && ref.id === step) {
        issues.push({ step, path, message: `step "${step}" references its own output` });
      } else if (ref.kind === "step" && !ids.has(ref.id)) {
        issues.push({ step, path, message: `unknown step "${ref.id}"` });
      }
    }
  };
  def.steps.forEach((step, i) => {
    for (const t of templatesOf(step)) check(step.id, `definition.steps.${i}.${t.path}`, t.template);
  });
  for (const t of outputTemplates(def)) check(null, `definition.${t.path}`, t.template);
  const order = def.steps.map((s) => s.id);
  const cycle = findCycle(order, dependencies(def));
  if (cycle?.[0]) {
    issues.push({
      step: cycle[0],
      path: `definition.steps.${order.indexOf(cycle[0])}`,
      message: `cycle: ${cycle.join(" → ")}`,
    });
  }
  return issues;
}

/** The run's input values: defaults filled in; unknown and missing required inputs reported. */
export function resolveInputs(
  def: Definition,
  given: Record<string, InputValue>,
): { values: Record<string, InputValue>; issues: Issue[] } {
  const values: Record<string, InputValue> = {};
  const issues: Issue[] = [];
  const declared = new Set(def.inputs.map((i) => i.name));
  for (const name of Object.keys(given)) {
    if (!declared.has(name))
      issues.push({ step: null, path: `body.inputs.${name}`, message: `unknown input "${name}"` });
  }
  for (const input of def.inputs) {
    const value = Object.hasOwn(given, input.name) ? given[input.name] : input.default;
    if (value !== undefined) values[input.name] = value;
    else if (input.required !== false)
      issues.push({
        step: null,
        path: `body.inputs.${input.name}`,
        message: `input "${input.name}" is required`,
      });
  }
  return { values, issues };
}

/** A template that cannot be rendered at run time (a step's output is not the JSON a reference expects). */
export class RenderError extends Error {
  override name = "RenderError";
}

export interface Scope {
  inputs: Record<string, InputValue>;
  /** outputs of the steps that succeeded */
  outputs: Record<string, string>;
}

const asText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Follow a key path into a JSON value; undefined when any key is missing. */
export function getPath(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    if (Array.isArray(cur) && /^\d+$/.test(key)) cur = cur[Number(key)];
    else if (cur !== null && typeof cur === "object" && Object.hasOwn(cur, key))
      cur = (cur as Record<string, unknown>)[key];
    else return undefined;
  }
  return cur;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RenderError(`${what} is not valid JSON`);
  }
}

export function renderTemplate(template: string, scope: Scope): string {
  return template.replace(PLACEHOLDER, (whole, expr: string) => {
    const ref = parseRef(expr);
    if (!ref) throw new RenderError(`${whole} is not a reference`);
    if (ref.kind === "input") {
      const v = scope.inputs[ref.name];
      if (v === undefined) throw new RenderError(`input "${ref.name}" has no value`);
      return String(v);
    }
    const out = scope.outputs[ref.id];
    if (out === undefined) throw new RenderError(`step "${ref.id}" has no output`);
    if (!ref.json) return out;
    const value = getPath(parseJson(out, `the output of step "${ref.id}"`), ref.json);
    if (value === undefined)
      throw new RenderError(`the output of step "${ref.id}" has no value at "${ref.json.join(".")}"`);
    return asText(value);
  });
}

/** A transform step's output: pure, in-process, no execution. Throws RenderError on bad input. */
export function runTransform(step: Extract<Step, { type: "transform" }>, scope: Scope): string {
  switch (step.op) {
    case "template":
      return renderTemplate(step.template, scope);
    case "concat":
      return step.inputs.map((t) => renderTemplate(t, scope)).join(step.separator);
    case "uppercase":
      return renderTemplate(step.input, scope).toUpperCase();
    case "lowercase":
      return renderTemplate(step.input, scope).toLowerCase();
    case "trim":
      return renderTemplate(step.input, scope).trim();
    case "json_parse":
      // normalized: a later {{steps.<id>.json.…}} or json_get can rely on it
      return JSON.stringify(parseJson(renderTemplate(step.input, scope), "the input"));
    case "json_get": {
      const value = getPath(parseJson(renderTemplate(step.input, scope), "the input"), step.path.split("."));
      if (value === undefined) throw new RenderError(`the input has no value at "${step.path}"`);
      return asText(value);
    }
  }
}

export function renderOutput(def: Definition, scope: Scope): string | Record<string, string> {
  if (typeof def.output === "string") return renderTemplate(def.output, scope);
  return Object.fromEntries(Object.entries(def.output).map(([k, t]) => [k, renderTemplate(t, scope)]));
}

const DEAD: ReadonlySet<StepRunStatus> = new Set(["failed", "skipped", "cancelled"]);

/**
 * The scheduler's next move, from the steps' statuses: which pending steps to start now (every dependency
 * succeeded) and which to skip (a dependency will never succeed, or fail_fast saw a failure).
 */
export function nextActions(
  ids: string[],
  deps: Map<string, string[]>,
  status: ReadonlyMap<string, StepRunStatus>,
  policy: Definition["failure_policy"],
): { start: string[]; skip: string[] } {
  const pending = ids.filter((id) => status.get(id) === "pending");
  if (policy === "fail_fast" && ids.some((id) => status.get(id) === "failed")) {
    return { start: [], skip: pending };
  }
  // Skips propagate: a step whose dependency is skipped in this same pass is skipped too.
  const now = new Map(status);
  const skip: string[] = [];
  for (const id of topologicalOrder(ids, deps)) {
    if (now.get(id) !== "pending") continue;
    if ((deps.get(id) ?? []).some((d) => DEAD.has(now.get(d) ?? "pending"))) {
      now.set(id, "skipped");
      skip.push(id);
    }
  }
  const start = pending.filter(
    (id) => now.get(id) === "pending" && (deps.get(id) ?? []).every((d) => now.get(d) === "succeeded"),
  );
  return { start, skip };
}
