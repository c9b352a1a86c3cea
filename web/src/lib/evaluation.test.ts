import { describe, expect, it } from "vitest";
import { defaultPairs, newEvaluator, pairLabel, pairsOf, toEvaluatorSpec, toTarget } from "./evaluation";

describe("targets", () => {
  it("names the latest version, a number or a label", () => {
    expect(toTarget({ key: 1, promptId: "pmt_1", which: "latest" })).toEqual({ prompt_id: "pmt_1" });
    expect(toTarget({ key: 1, promptId: "pmt_1", which: "v:3" })).toEqual({ prompt_id: "pmt_1", version: 3 });
    expect(toTarget({ key: 1, promptId: "pmt_1", which: "label:production" })).toEqual({
      prompt_id: "pmt_1",
      label: "production",
    });
  });
});

describe("evaluators", () => {
  it("builds the API's specs, leaving defaults out", () => {
    expect(toEvaluatorSpec(newEvaluator(1))).toEqual({ spec: { type: "exact_match" } });
    expect(toEvaluatorSpec({ ...newEvaluator(1), ignoreCase: true, threshold: "0.5" })).toEqual({
      spec: { type: "exact_match", normalize: { case: true }, threshold: 0.5 },
    });
    expect(toEvaluatorSpec({ ...newEvaluator(1, "contains"), ignoreCase: true, value: "hi" })).toEqual({
      spec: { type: "contains", value: "hi", case_sensitive: false },
    });
    expect(toEvaluatorSpec({ ...newEvaluator(1, "regex"), pattern: "^Echo", flags: "i" })).toEqual({
      spec: { type: "regex", pattern: "^Echo", flags: "i" },
    });
    expect(toEvaluatorSpec({ ...newEvaluator(1, "json_schema"), schema: '{"type":"object"}' })).toEqual({
      spec: { type: "json_schema", schema: { type: "object" } },
    });
    expect(toEvaluatorSpec({ ...newEvaluator(1, "numeric"), tolerance: "0.1" })).toEqual({
      spec: { type: "numeric", tolerance: 0.1 },
    });
    expect(toEvaluatorSpec({ ...newEvaluator(1, "llm_judge"), model: "mock/echo", rubric: "Fair?" })).toEqual(
      {
        spec: { type: "llm_judge", model: "mock/echo", rubric: "Fair?" },
      },
    );
  });

  it("says what to fix before sending", () => {
    const err = (e: Parameters<typeof toEvaluatorSpec>[0]) => {
      const r = toEvaluatorSpec(e);
      return "error" in r ? r.error : null;
    };
    expect(err({ ...newEvaluator(1), threshold: "2" })).toMatch(/from 0 to 1/);
    expect(err({ ...newEvaluator(1, "regex"), pattern: "" })).toMatch(/pattern is needed/);
    expect(err({ ...newEvaluator(1, "regex"), pattern: "(" })).toMatch(/^Regex: /);
    expect(err({ ...newEvaluator(1, "regex"), pattern: "a", flags: "g" })).toMatch(/among i, m, s and u/);
    expect(err({ ...newEvaluator(1, "json_schema"), schema: "{" })).toMatch(/not valid JSON/);
    expect(err({ ...newEvaluator(1, "json_schema"), schema: "[]" })).toMatch(/JSON object/);
    expect(err({ ...newEvaluator(1, "numeric"), tolerance: "-1" })).toMatch(/≥ 0/);
    expect(err({ ...newEvaluator(1, "llm_judge") })).toMatch(/judge's model/);
  });
});

describe("pairs", () => {
  const run = {
    targets: [
      { prompt_id: "pmt_1", prompt_version_id: "pv_1", version: 1 },
      { prompt_id: "pmt_1", prompt_version_id: "pv_2", version: 2 },
    ],
    models: ["mock/echo", "mock/lorem"],
  };

  it("lists every (prompt version, model), versions first", () => {
    expect(pairsOf(run).map((p) => p.key)).toEqual([
      "pv_1 mock/echo",
      "pv_1 mock/lorem",
      "pv_2 mock/echo",
      "pv_2 mock/lorem",
    ]);
    expect(pairLabel(pairsOf(run)[1]!, "Greeter")).toBe("Greeter v1 × mock/lorem");
  });

  it("compares the first two pairs of one run, or the matching pair of another", () => {
    const pairs = pairsOf(run);
    expect(defaultPairs(pairs, pairs, true)).toEqual({ base: "pv_1 mock/echo", head: "pv_1 mock/lorem" });
    expect(defaultPairs(pairs.slice(0, 1), pairs.slice(0, 1), true)).toBeNull();
    const other = pairsOf({ targets: [run.targets[1]!, run.targets[0]!], models: ["mock/echo"] });
    expect(defaultPairs(pairs, other, false)).toEqual({ base: "pv_1 mock/echo", head: "pv_1 mock/echo" });
    expect(defaultPairs(pairs, [], false)).toBeNull();
  });
});
