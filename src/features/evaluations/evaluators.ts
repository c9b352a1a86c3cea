import { Ajv, type ValidateFunction } from "ajv";
import type { DatasetItemVariables } from "../../lib/db-types.ts";
import type { EvaluatorSpec } from "./schemas.ts";

/**
 * Evaluators: pure functions `(evaluator, output, item) → {score, passed, reasoning?}` with score in 0..1 and
 * passed = score ≥ threshold. The LLM judge is the exception that needs a model call; the job makes the call
 * through the pipeline and `judgeResult` turns its reply into a score here.
 */

type Spec = EvaluatorSpec;
export type EvaluatorType = Spec["type"];

/** A spec with its name and threshold resolved: what a run stores in its config. */
export type Evaluator = Spec & { name: string; threshold: number };

export interface EvalItem {
  variables: DatasetItemVariables;
  expected: string | null;
}

export interface EvaluatorResult {
  score: number;
  passed: boolean;
  reasoning?: string;
}

/** Binary checks pass only when right; graded ones (numeric, judge) pass at half marks unless told otherwise. */
export const DEFAULT_THRESHOLD: Record<EvaluatorType, number> = {
  exact_match: 1,
  contains: 1,
  regex: 1,
  json_valid: 1,
  json_schema: 1,
  numeric: 1,
  llm_judge: 0.5,
};

export class EvaluatorSpecError extends Error {
  override name = "EvaluatorSpecError";
}

/** Defaults applied; names unique (a repeated type gets a numeric suffix). */
export function resolveEvaluators(specs: Spec[]): Evaluator[] {
  const seen = new Set<string>();
  return specs.map((s) => {
    let n = s.name ?? s.type;
    if (!s.name) for (let i = 2; seen.has(n); i++) n = `${s.type}_${i}`;
    if (seen.has(n)) throw new EvaluatorSpecError(`two evaluators are named "${n}"; names must be unique`);
    seen.add(n);
    return { ...s, name: n, threshold: s.threshold ?? DEFAULT_THRESHOLD[s.type] } as Evaluator;
  });
}

/** An evaluator with its regex or schema compiled, once per run. */
export type Compiled =
  | { ev: Evaluator & { type: "regex" }; regex: RegExp }
  | { ev: Evaluator & { type: "json_schema" }; validate: ValidateFunction }
  | { ev: Exclude<Evaluator, { type: "regex" | "json_schema" }> };

/** Compile an evaluator; throws EvaluatorSpecError for a bad regex or JSON Schema. */
export function compileEvaluator(ev: Evaluator): Compiled {
  if (ev.type === "regex") {
    try {
      return { ev, regex: new RegExp(ev.pattern, ev.flags ?? "") };
    } catch (err) {
      throw new EvaluatorSpecError(`invalid regular expression: ${(err as Error).message}`);
    }
  }
  if (ev.type === "json_schema") {
    // A fresh instance per schema: one shared Ajv would cache every tenant's schemas forever.
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: false });
    try {
      return { ev, validate: ajv.compile(ev.schema) };
    } catch (err) {
      throw new EvaluatorSpecError(`invalid JSON Schema: ${(err as Error).message}`);
    }
  }
  return { ev } as Compiled;
}

const result = (ev: Evaluator, score: number, reasoning?: string): EvaluatorResult => {
  const s = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  return { score: s, passed: s >= ev.threshold, ...(reasoning ? { reasoning } : {}) };
};

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n)}…` : s);

export function normalizeText(
  s: string,
  o: { trim?: boolean | undefined; case?: boolean; whitespace?: boolean; punctuation?: boolean } = {},
): string {
  let t = s.normalize("NFC");
  if (o.punctuation) t = t.replace(/[\p{P}\p{S}]/gu, "");
  if (o.whitespace) t = t.replace(/\s+/g, " ");
  if (o.trim ?? true) t = t.trim();
  if (o.case) t = t.toLowerCase();
  return t;
}

/** The JSON a model meant: the whole output, or the body of a single ``` fenced block around it. */
export function jsonText(output: string): string {
  const m = /^\s*```[\w-]*\s*\n([\s\S]*?)\n?\s*```\s*$/.exec(output);
  return (m?.[1] ?? output).trim();
}

const NUMBER_RE = /[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?/;

/** The first number in a text ("about 1,234.5 units" → 1234.5), or null. */
export function firstNumber(text: string): number | null {
  const m = NUMBER_RE.exec(text);
  if (!m) return null;
  const n = Number(m[0].replaceAll(",", ""));
  return Number.isFinite(n) ? n : null;
}

/** Score a model output against an item. Not for llm_judge, which needs a model call (see judgeResult). */
export function evaluate(c: Compiled, output: string, item: EvalItem): EvaluatorResult {
  const ev = c.ev;
  switch (ev.type) {
    case "exact_match": {
      const want = ev.value ?? item.expected;
      if (want === null) return result(ev, 0, "the item has no expected output to compare with");
      const same = normalizeText(output, ev.normalize) === normalizeText(want, ev.normalize);
      return result(ev, same ? 1 : 0, same ? undefined : `expected ${JSON.stringify(clip(want))}`);
    }
    case "contains": {
      const want = ev.value ?? item.expected;
      if (want === null || want === "") return result(ev, 0, "the item has no expected output to look for");
      const cs = ev.case_sensitive ?? true;
      const found = cs ? output.includes(want) : output.toLowerCase().includes(want.toLowerCase());
      return result(ev, found ? 1 : 0, found ? undefined : `does not contain ${JSON.stringify(clip(want))}`);
    }
    case "regex": {
      if (!("regex" in c)) throw new Error("regex evaluator used uncompiled");
      const hit = c.regex.test(output);
      return result(ev, hit ? 1 : 0, hit ? undefined : `does not match /${clip(ev.pattern)}/`);
    }
    case "json_valid": {
      try {
        JSON.parse(jsonText(output));
        return result(ev, 1);
      } catch (err) {
        return result(ev, 0, `not valid JSON: ${(err as Error).message}`);
      }
    }
    case "json_schema": {
      if (!("validate" in c)) throw new Error("json_schema evaluator used uncompiled");
      let value: unknown;
      try {
        value = JSON.parse(jsonText(output));
      } catch (err) {
        return result(ev, 0, `not valid JSON: ${(err as Error).message}`);
      }
      if (c.validate(value)) return result(ev, 1);
      const errors = (c.validate.errors ?? [])
        .slice(0, 3)
        .map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
      return result(ev, 0, `does not match the schema: ${errors.join("; ")}`);
    }
    case "numeric": {
      const want = ev.value ?? (item.expected === null ? null : firstNumber(item.expected));
      if (want === null) return result(ev, 0, "the item has no expected number");
      const got = firstNumber(output);
      if (got === null) return result(ev, 0, "no number in the output");
      const allowed = ev.relative ? ev.tolerance * Math.abs(want) : ev.tolerance;
      const diff = Math.abs(got - want);
      // Inside the tolerance: 1. Outside it the score decays as allowed/diff (twice the tolerance: 0.5),
      // so the mean still says how close a model came.
      if (diff <= allowed) return result(ev, 1);
      return result(ev, allowed > 0 ? allowed / diff : 0, `got ${got}, expected ${want} ± ${allowed}`);
    }
    case "llm_judge":
      throw new Error("llm_judge needs a model call; use judgeResult on the judge's reply");
  }
}

/** What the judge is told, whatever the rubric: the reply format that parseJudgeScore reads best. */
export const JUDGE_SYSTEM =
  "You are an impartial evaluator. Grade the response against the rubric. " +
  'Answer with JSON only: {"score": <a number from 0 to 1>, "reasoning": "<one or two sentences>"}.';

/**
 * The judge's user message, as a template the pipeline renders with judgeVariables(). A rubric that does not
 * place {{output}} itself gets the input, the expected output and the response appended after it.
 */
export function judgeTemplate(rubric: string): string {
  if (/\{\{\s*output\s*\}\}/.test(rubric)) return rubric;
  return `${rubric}\n\n## Input\n{{input}}\n\n## Expected output\n{{expected}}\n\n## Response to grade\n{{output}}`;
}

/** The names a judge template can use beyond the item's own variables. */
export const JUDGE_VARIABLES = ["output", "expected", "input"] as const;

export function judgeVariables(item: EvalItem, output: string): DatasetItemVariables {
  return {
    ...item.variables,
    input: JSON.stringify(item.variables),
    expected: item.expected ?? "",
    output,
  };
}

/** Turn the judge's reply into this evaluator's result; an unreadable reply scores 0 and says why. */
export function judgeResult(ev: Evaluator & { type: "llm_judge" }, reply: string): EvaluatorResult {
  const parsed = parseJudgeScore(reply, ev.scale);
  if (parsed.score === null) {
    return result(
      ev,
      0,
      `could not read a score from the judge's reply: ${JSON.stringify(clip(reply, 200))}`,
    );
  }
  return result(ev, parsed.score, parsed.reasoning ?? undefined);
}

/**
 * Read a score from a judge's free-form reply, robustly:
 *  1. a JSON object with a `score` (in a ``` fence or inline; the last one wins, as judges conclude at the end),
 *     with `reasoning` (or `explanation`/`rationale`/`reason`) kept;
 *  2. a labelled score: "Score: 7/10", "rating = 4 out of 5", "Grade: 85%", "score: 0.8";
 *  3. a reply that is just a number, fraction or percentage: "0.8", "7/10", "85%".
 * Scores are normalised to 0..1: an explicit denominator or `scale` divides; otherwise a value ≤ 1 is taken as
 * 0..1, ≤ 10 as out of 10, ≤ 100 as a percentage. Anything else, negative, or above its scale is no score.
 */
export function parseJudgeScore(
  reply: string,
  scale?: number,
): { score: number | null; reasoning: string | null } {
  const text = reply.length > 100_000 ? reply.slice(-100_000) : reply;
  const fromJson = lastJsonScore(text, scale);
  if (fromJson) return fromJson;
  const labelled = [...text.matchAll(LABELLED)].pop();
  if (labelled) {
    const s = scoreFrom(
      labelled.groups?.num,
      labelled.groups?.den ?? labelled.groups?.outof,
      labelled.groups?.pct,
      scale,
    );
    if (s !== null) return { score: s, reasoning: restAfter(text, labelled) };
  }
  const bare = BARE.exec(text.trim());
  if (bare) {
    const s = scoreFrom(bare.groups?.num, bare.groups?.den, bare.groups?.pct, scale);
    if (s !== null) return { score: s, reasoning: null };
  }
  return { score: null, reasoning: null };
}

const NUM = String.raw`[-+]?\d+(?:\.\d+)?|[-+]?\.\d+`;
const LABELLED = new RegExp(
  String.raw`\b(?:score|rating|grade|verdict)\b[*_\s"']*(?:is|of|=|:)?[*_\s"']*(?<num>${NUM})[*_\s]*(?:(?<pct>%)|\/\s*(?<den>${NUM})|out\s+of\s+(?<outof>${NUM}))?`,
  "gi",
);
const BARE = new RegExp(String.raw`^(?<num>${NUM})\s*(?:(?<pct>%)|\/\s*(?<den>${NUM}))?\.?$`);

function scoreFrom(
  num: string | undefined,
  den: string | undefined,
  pct: string | undefined,
  scale: number | undefined,
): number | null {
  if (num === undefined) return null;
  const n = Number(num);
  if (!Number.isFinite(n) || n < 0) return null;
  let s: number;
  if (pct) s = n / 100;
  else if (den !== undefined) {
    const d = Number(den);
    if (!Number.isFinite(d) || d <= 0) return null;
    s = n / d;
  } else if (scale !== undefined) s = n / scale;
  else if (n <= 1) s = n;
  else if (n <= 10) s = n / 10;
  else if (n <= 100) s = n / 100;
  else return null;
  return s >= 0 && s <= 1 ? s : null;
}

function restAfter(text: string, m: RegExpMatchArray): string | null {
  const before = text.slice(0, m.index).trim();
  const after = text
    .slice((m.index ?? 0) + m[0].length)
    .replace(/^[\s.,;:)*_-]+/, "")
    .trim();
  const r = after || before;
  return r ? clip(r, 2000) : null;
}

/**
 * The last `{…}` in the text that parses as JSON and has a usable score. Tried from the last `{` backwards,
 * at most MAX_JSON_TRIES of them, so prose with stray braces neither hides the verdict nor costs O(n²).
 */
function lastJsonScore(
  text: string,
  scale: number | undefined,
): { score: number; reasoning: string | null } | null {
  let tries = 0;
  for (
    let at = text.lastIndexOf("{");
    at >= 0 && tries < MAX_JSON_TRIES;
    at = text.lastIndexOf("{", at - 1)
  ) {
    tries++;
    const end = balancedEnd(text, at);
    if (end < 0) continue;
    let v: unknown;
    try {
      v = JSON.parse(text.slice(at, end + 1));
    } catch {
      continue;
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) continue;
    const o = v as Record<string, unknown>;
    const raw = o.score ?? o.Score ?? o.rating ?? o.grade;
    let s: number | null = null;
    if (typeof raw === "number") s = scoreFrom(String(raw), undefined, undefined, scale);
    else if (typeof raw === "string") {
      const b = BARE.exec(raw.trim());
      if (b) s = scoreFrom(b.groups?.num, b.groups?.den, b.groups?.pct, scale);
    }
    if (s === null) continue;
    const why = o.reasoning ?? o.explanation ?? o.rationale ?? o.reason;
    return { score: s, reasoning: typeof why === "string" ? clip(why, 2000) : null };
  }
  return null;
}

const MAX_JSON_TRIES = 50;

/** The index of the `}` that closes the `{` at `start` (JSON-string aware), or -1. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
