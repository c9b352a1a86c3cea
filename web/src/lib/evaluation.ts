/**
 * The new-run form's pieces (targets, evaluators) as the API wants them, and the (prompt version, model)
 * pairs a run compares. The API checks everything again; these give early, local messages.
 */

import type { EvaluationRun } from "../api/types";

/* Targets: a prompt and which version of it. */

export interface TargetForm {
  key: number;
  promptId: string;
  /** "latest", "v:<number>" or "label:<name>" */
  which: string;
}

export function toTarget(t: TargetForm): { prompt_id: string; version?: number; label?: string } {
  if (t.which.startsWith("v:")) return { prompt_id: t.promptId, version: Number(t.which.slice(2)) };
  if (t.which.startsWith("label:")) return { prompt_id: t.promptId, label: t.which.slice(6) };
  return { prompt_id: t.promptId };
}

/* Evaluators */

export const EVALUATOR_TYPES = [
  { type: "exact_match", label: "Exact match", hint: "1 when the output equals the item's expected output." },
  { type: "contains", label: "Contains", hint: "1 when the output contains the item's expected output." },
  { type: "regex", label: "Regex", hint: "1 when the output matches the pattern." },
  { type: "json_valid", label: "Valid JSON", hint: "1 when the output parses as JSON." },
  { type: "json_schema", label: "JSON Schema", hint: "1 when the output is JSON valid against the schema." },
  {
    type: "numeric",
    label: "Numeric",
    hint: "1 when the output is a number within the tolerance of the expected one, less further away.",
  },
  {
    type: "llm_judge",
    label: "LLM judge",
    hint: "the judge model's score for the rubric, 0 to 1 (passes at 0.5 unless set).",
  },
] as const;

export type EvaluatorType = (typeof EVALUATOR_TYPES)[number]["type"];

export interface EvaluatorForm {
  key: number;
  type: EvaluatorType;
  /** exact_match: ignore case; contains: case-insensitive */
  ignoreCase: boolean;
  /** exact_match, contains: compare with this instead of the expected output */
  value: string;
  pattern: string;
  flags: string;
  schema: string;
  tolerance: string;
  model: string;
  rubric: string;
  /** 0..1, blank for the evaluator's default */
  threshold: string;
}

export function newEvaluator(key: number, type: EvaluatorType = "exact_match"): EvaluatorForm {
  return {
    key,
    type,
    ignoreCase: false,
    value: "",
    pattern: "",
    flags: "",
    schema: '{\n  "type": "object"\n}',
    tolerance: "0",
    model: "",
    rubric: "Is the output correct and helpful? Score from 0 to 1.",
    threshold: "",
  };
}

export type EvaluatorSpec = Record<string, unknown> & { type: EvaluatorType };

/** The spec for the API, or the message saying what to fix. */
export function toEvaluatorSpec(e: EvaluatorForm): { spec: EvaluatorSpec } | { error: string } {
  const spec: EvaluatorSpec = { type: e.type };
  if (e.threshold.trim() !== "") {
    const t = Number(e.threshold);
    if (!Number.isFinite(t) || t < 0 || t > 1) return { error: "Threshold: a number from 0 to 1" };
    spec.threshold = t;
  }
  switch (e.type) {
    case "exact_match":
      if (e.value !== "") spec.value = e.value;
      if (e.ignoreCase) spec.normalize = { case: true };
      break;
    case "contains":
      if (e.value !== "") spec.value = e.value;
      if (e.ignoreCase) spec.case_sensitive = false;
      break;
    case "regex":
      if (!e.pattern) return { error: "Regex: a pattern is needed" };
      if (!/^[imsu]{0,4}$/.test(e.flags)) return { error: "Regex flags: among i, m, s and u" };
      try {
        new RegExp(e.pattern, e.flags);
      } catch (err) {
        return { error: `Regex: ${(err as Error).message}` };
      }
      spec.pattern = e.pattern;
      if (e.flags) spec.flags = e.flags;
      break;
    case "json_valid":
      break;
    case "json_schema": {
      let schema: unknown;
      try {
        schema = JSON.parse(e.schema);
      } catch (err) {
        return { error: `JSON Schema: not valid JSON: ${(err as Error).message}` };
      }
      if (!schema || typeof schema !== "object" || Array.isArray(schema))
        return { error: "JSON Schema: the schema must be a JSON object" };
      spec.schema = schema;
      break;
    }
    case "numeric": {
      const t = Number(e.tolerance || "0");
      if (!Number.isFinite(t) || t < 0) return { error: "Numeric: the tolerance is a number ≥ 0" };
      spec.tolerance = t;
      break;
    }
    case "llm_judge":
      if (!e.model) return { error: "LLM judge: choose the judge's model" };
      if (!e.rubric.trim()) return { error: "LLM judge: write a rubric" };
      spec.model = e.model;
      spec.rubric = e.rubric;
      break;
  }
  return { spec };
}

/* (prompt version, model) pairs */

export interface Pair {
  key: string;
  prompt_id: string;
  prompt_version_id: string;
  version: number;
  model: string;
}

export const pairKey = (promptVersionId: string, model: string) => `${promptVersionId} ${model}`;

/** Every (prompt version, model) a run has, in its order: targets, then models. */
export function pairsOf(run: Pick<EvaluationRun, "targets" | "models">): Pair[] {
  return run.targets.flatMap((t) =>
    run.models.map((model) => ({
      key: pairKey(t.prompt_version_id, model),
      prompt_id: t.prompt_id,
      prompt_version_id: t.prompt_version_id,
      version: t.version,
      model,
    })),
  );
}

/** "Greeter v2 × mock/echo" */
export function pairLabel(p: Pick<Pair, "prompt_id" | "version" | "model">, promptName?: string): string {
  return `${promptName ?? p.prompt_id} v${p.version} × ${p.model}`;
}

/**
 * What a comparison starts with: within one run, its first pair as base and its second as head; against
 * another run, the pair there matching the head's, else its first.
 */
export function defaultPairs(
  head: Pair[],
  base: Pair[],
  sameRun: boolean,
): { base: string; head: string } | null {
  const h = head[0];
  if (!h) return null;
  if (sameRun) {
    const second = head[1];
    return second ? { base: h.key, head: second.key } : null;
  }
  const match = base.find((p) => p.key === h.key) ?? base[0];
  return match ? { base: match.key, head: h.key } : null;
}
