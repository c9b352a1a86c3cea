import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileEvaluator,
  type Evaluator,
  EvaluatorSpecError,
  evaluate,
  firstNumber,
  jsonText,
  judgeResult,
  judgeTemplate,
  parseJudgeScore,
  resolveEvaluators,
} from "./evaluators.ts";
import { type EvaluatorSpec, evaluatorSpec } from "./schemas.ts";

const spec = (s: Record<string, unknown>): EvaluatorSpec => evaluatorSpec.parse(s);
const one = (s: Record<string, unknown>) => {
  const [ev] = resolveEvaluators([spec(s)]);
  return compileEvaluator(ev as Evaluator);
};
const item = (expected: string | null, variables: Record<string, string> = {}) => ({ variables, expected });
const run = (s: Record<string, unknown>, output: string, expected: string | null = null) =>
  evaluate(one(s), output, item(expected));

describe("resolveEvaluators", () => {
  it("fills names and thresholds; a repeated type gets a suffix; an explicit duplicate name is refused", () => {
    const evs = resolveEvaluators([
      spec({ type: "exact_match" }),
      spec({ type: "exact_match" }),
      spec({ type: "numeric", tolerance: 1 }),
      spec({ type: "llm_judge", model: "mock/echo", rubric: "r" }),
      spec({ type: "contains", name: "mine", threshold: 0.3 }),
    ]);
    expect(evs.map((e) => [e.name, e.threshold])).toEqual([
      ["exact_match", 1],
      ["exact_match_2", 1],
      ["numeric", 1],
      ["llm_judge", 0.5],
      ["mine", 0.3],
    ]);
    expect(() =>
      resolveEvaluators([
        spec({ type: "json_valid", name: "x" }),
        spec({ type: "regex", name: "x", pattern: "a" }),
      ]),
    ).toThrow(EvaluatorSpecError);
  });
});

describe("exact_match", () => {
  it("trims by default, and normalises case, whitespace and punctuation when asked", () => {
    expect(run({ type: "exact_match" }, "  Paris \n", "Paris")).toEqual({ score: 1, passed: true });
    expect(run({ type: "exact_match" }, "paris", "Paris").score).toBe(0);
    expect(run({ type: "exact_match", normalize: { case: true } }, "PARIS", "paris").score).toBe(1);
    expect(
      run({ type: "exact_match", normalize: { whitespace: true } }, "New   York", "New York").score,
    ).toBe(1);
    expect(run({ type: "exact_match", normalize: { trim: false } }, " a", "a").score).toBe(0);
    expect(
      run({ type: "exact_match", normalize: { punctuation: true, case: true } }, "Paris!", "paris.").score,
    ).toBe(1);
  });
  it("compares with value when given, and scores 0 with a reason when there is nothing to compare with", () => {
    expect(run({ type: "exact_match", value: "yes" }, "yes", "no").score).toBe(1);
    const r = run({ type: "exact_match" }, "x", null);
    expect(r.score).toBe(0);
    expect(r.reasoning).toMatch(/no expected/);
  });
});

describe("contains", () => {
  it("is case-sensitive by default and looks for expected unless value is given", () => {
    expect(run({ type: "contains" }, "The capital is Paris.", "Paris").passed).toBe(true);
    expect(run({ type: "contains" }, "the capital is paris.", "Paris").passed).toBe(false);
    expect(run({ type: "contains", case_sensitive: false }, "PARIS", "paris").passed).toBe(true);
    expect(run({ type: "contains", value: "cap" }, "capital", "zzz").passed).toBe(true);
  });
});

describe("regex", () => {
  it("matches with flags; an invalid pattern fails at compile time", () => {
    expect(run({ type: "regex", pattern: "^\\d{3}-\\d{4}$" }, "555-1234").passed).toBe(true);
    expect(run({ type: "regex", pattern: "^abc$", flags: "i" }, "ABC").passed).toBe(true);
    expect(run({ type: "regex", pattern: "^abc$" }, "ABC").passed).toBe(false);
    expect(() => one({ type: "regex", pattern: "(unclosed" })).toThrow(/invalid regular expression/);
    // g and y would make test() stateful across cells: the schema refuses them
    expect(evaluatorSpec.safeParse({ type: "regex", pattern: "a", flags: "g" }).success).toBe(false);
  });
});

describe("json_valid and json_schema", () => {
  it("accepts JSON, also inside one ``` fence, and explains a parse failure", () => {
    expect(run({ type: "json_valid" }, '{"a": 1}').passed).toBe(true);
    expect(run({ type: "json_valid" }, '```json\n{"a": [1, 2]}\n```').passed).toBe(true);
    const bad = run({ type: "json_valid" }, "{a: 1}");
    expect(bad.score).toBe(0);
    expect(bad.reasoning).toMatch(/not valid JSON/);
    expect(jsonText("```\n[1]\n```")).toBe("[1]");
  });
  it("checks a schema, listing what failed; a bad schema fails at compile time", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    expect(run({ type: "json_schema", schema }, '{"name": "Ada", "age": 36}').passed).toBe(true);
    const r = run({ type: "json_schema", schema }, '{"name": 1, "age": -1}');
    expect(r.passed).toBe(false);
    expect(r.reasoning).toMatch(/\/name must be string/);
    expect(r.reasoning).toMatch(/\/age must be >= 0/);
    expect(run({ type: "json_schema", schema }, "nope").reasoning).toMatch(/not valid JSON/);
    expect(() => one({ type: "json_schema", schema: { type: "nonsense" } })).toThrow(/invalid JSON Schema/);
    expect(() => one({ type: "json_schema", schema: { $ref: "http://example.test/x.json" } })).toThrow(
      /invalid JSON Schema/,
    );
  });
});

describe("numeric", () => {
  it("reads the first number, passes within the tolerance, and decays outside it", () => {
    expect(firstNumber("about 1,234.5 units")).toBe(1234.5);
    expect(firstNumber("-3e2 and 7")).toBe(-300);
    expect(firstNumber("none")).toBeNull();
    expect(run({ type: "numeric", tolerance: 0.5 }, "The answer is 42.3", "42").passed).toBe(true);
    const far = run({ type: "numeric", tolerance: 1 }, "44", "42");
    expect(far).toMatchObject({ score: 0.5, passed: false });
    expect(run({ type: "numeric", tolerance: 0.1, relative: true }, "109", "100").passed).toBe(true);
    expect(run({ type: "numeric", tolerance: 0.1, relative: true }, "111", "100").passed).toBe(false);
    expect(run({ type: "numeric", value: 7 }, "7", null).passed).toBe(true);
    expect(run({ type: "numeric" }, "seven", "7").reasoning).toMatch(/no number/);
    expect(run({ type: "numeric", threshold: 0.5, tolerance: 1 }, "44", "42").passed).toBe(true);
  });
});

describe("parseJudgeScore", () => {
  const cases: Array<[string, number | null, (string | null)?]> = [
    ['{"score": 0.8, "reasoning": "mostly right"}', 0.8, "mostly right"],
    ['```json\n{"score": 7, "reasoning": "good"}\n```', 0.7, "good"],
    ['Here is my verdict:\n```\n{"score": "9/10", "explanation": "great"}\n```', 0.9, "great"],
    ['I weighed it. {"rating": 85} done', 0.85],
    ['{"score": 0.2} then on reflection {"score": 0.6, "rationale": "final"}', 0.6, "final"],
    ['{"reasoning": "uses {braces} in text", "score": 1}', 1, "uses {braces} in text"],
    ["Score: 7/10", 0.7],
    ["**Score:** 4 out of 5 — solid", 0.8],
    ["Rating = 3/4", 0.75],
    ["The grade is 85%", 0.85],
    ["score: 0.25. Too short.", 0.25, "Too short."],
    ["0.8", 0.8],
    ["7/10", 0.7],
    ["85%", 0.85],
    ["  1  ", 1],
    ["10", 1],
    ["Score: 6\nReasoning: fine", 0.6],
    ["{score: 0.4}", 0.4],
    ["I cannot grade this.", null],
    ["", null],
    ["Score: 250", null],
    ["Score: -1", null],
    ['{"score": "excellent"}', null],
    ["Score: 11/10", null],
  ];
  it.each(cases)("%j → %s", (reply, score, reasoning) => {
    const r = parseJudgeScore(reply);
    if (score === null) expect(r.score).toBeNull();
    else expect(r.score).toBeCloseTo(score, 10);
    if (reasoning !== undefined) expect(r.reasoning).toBe(reasoning);
  });
  it("uses an explicit scale when given (4 out of scale 5)", () => {
    expect(parseJudgeScore("Score: 4", 5).score).toBeCloseTo(0.8);
    expect(parseJudgeScore('{"score": 1}', 5).score).toBeCloseTo(0.2);
    expect(parseJudgeScore("Score: 4/8", 5).score).toBeCloseTo(0.5);
  });
  it("an unreadable reply scores 0 and says why; a readable one passes at the threshold", () => {
    const [ev] = resolveEvaluators([spec({ type: "llm_judge", model: "mock/echo", rubric: "r" })]);
    const judge = ev as Evaluator & { type: "llm_judge" };
    const bad = judgeResult(judge, "no idea");
    expect(bad).toMatchObject({ score: 0, passed: false });
    expect(bad.reasoning).toMatch(/could not read a score.*no idea/);
    expect(judgeResult(judge, '{"score": 0.5}')).toMatchObject({ score: 0.5, passed: true });
  });
  it("places the output after a rubric that does not place it", () => {
    expect(judgeTemplate("Is {{output}} polite?")).toBe("Is {{output}} polite?");
    expect(judgeTemplate("Be strict.")).toMatch(
      /^Be strict\.[\s\S]*\{\{input\}\}[\s\S]*\{\{expected\}\}[\s\S]*\{\{output\}\}$/,
    );
  });

  it("property: any reply gives no score or one in 0..1", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseJudgeScore(s);
        return r.score === null || (r.score >= 0 && r.score <= 1);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("{", "}", '"', "score", ":", " ", "0.5", "/", "10", "%", "\\", "`"), {
          maxLength: 60,
        }),
        (parts) => {
          const r = parseJudgeScore(parts.join(""));
          return r.score === null || (r.score >= 0 && r.score <= 1);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("property: a score written in any supported shape reads back, wherever the reply puts it", () => {
    const prose = fc.stringMatching(/^[a-z .,]{0,40}$/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), prose, prose, (n, before, after) => {
        const s = n / 100;
        const shapes = [
          `${before} {"score": ${s}, "reasoning": "r"} ${after}`,
          `${before}\n\`\`\`json\n{"score": ${s}}\n\`\`\`\n${after}`,
          `${before} Score: ${n}/100`,
          `${before} score: ${n}%`,
          `${n}%`,
        ];
        return shapes.every((text) => Math.abs((parseJudgeScore(text).score ?? -1) - s) < 1e-9);
      }),
      { numRuns: 500 },
    );
  });
});

describe("evaluator invariants (properties)", () => {
  const specs: Array<Record<string, unknown>> = [
    { type: "exact_match" },
    { type: "exact_match", normalize: { case: true, whitespace: true, punctuation: true } },
    { type: "contains" },
    { type: "contains", case_sensitive: false },
    { type: "regex", pattern: "a+b" },
    { type: "json_valid" },
    { type: "json_schema", schema: { type: "array", items: { type: "number" } } },
    { type: "numeric", tolerance: 2 },
    { type: "numeric", tolerance: 0.1, relative: true, threshold: 0.5 },
  ];
  it("every evaluator scores in 0..1, and passes exactly when score ≥ threshold", () => {
    const compiled = specs.map((s) => one(s));
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: null }),
        (out, exp) => {
          for (const c of compiled) {
            const r = evaluate(c, out, item(exp));
            if (!(r.score >= 0 && r.score <= 1)) return false;
            if (r.passed !== r.score >= c.ev.threshold) return false;
          }
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
  it("exact_match ignoring case accepts any ASCII casing of the expected text", () => {
    const c = one({ type: "exact_match", normalize: { case: true } });
    fc.assert(
      fc.property(fc.stringMatching(/^[ -~]{0,40}$/), (s) => {
        const exp = s.trim();
        return evaluate(c, s.toUpperCase(), item(exp.toLowerCase())).score === 1;
      }),
    );
  });
  it("numeric: within the tolerance always 1, and further away never scores higher", () => {
    const c = one({ type: "numeric", tolerance: 3 });
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        (want, d1, d2) => {
          const s = (d: number) => evaluate(c, String(want + d), item(String(want))).score;
          if (d1 <= 3 && s(d1) !== 1) return false;
          return d1 <= d2 ? s(d1) >= s(d2) : s(d1) <= s(d2);
        },
      ),
    );
  });
});
