import { describe, expect, it } from "vitest";
import type { WorkflowDefinition } from "../api/types";
import {
  addPromptStep,
  definitionEdges,
  describeStep,
  groupIssues,
  isInputRequired,
  lineColumn,
  locateJsonError,
  parseDefinitionText,
  runInputs,
  starterDefinition,
  stepRefs,
  uniqueStepId,
} from "./workflow";

const diamond: WorkflowDefinition = {
  inputs: [{ name: "topic" }, { name: "tone", default: "kind" }],
  steps: [
    { id: "summary", type: "prompt", prompt_id: "pmt_1", variables: { text: "{{inputs.topic}}" } },
    {
      id: "critique",
      type: "prompt",
      prompt_id: "pmt_2",
      label: "production",
      variables: { t: "{{ inputs.topic }}" },
    },
    {
      id: "join",
      type: "transform",
      op: "template",
      template: "{{steps.summary.output}}\n{{ steps.critique.json.a.0 }} {{steps.summary.output}}",
    },
    {
      id: "words",
      type: "transform",
      op: "concat",
      inputs: ["{{steps.join.output}}", "{{steps.ghost.output}}"],
    },
  ],
  output: "{{steps.words.output}}",
};

describe("parseDefinitionText", () => {
  it("accepts a definition", () => {
    const r = parseDefinitionText(JSON.stringify(diamond));
    expect(r.ok && r.definition.steps.map((s) => s.id)).toEqual(["summary", "critique", "join", "words"]);
  });

  it("says where the JSON breaks", () => {
    const r = parseDefinitionText('{\n  "steps": [\n    {"id": "a",}\n  ]\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(/^Not valid JSON: .*\(line 3, column \d+\)$/);
      expect(r.line).toBe(3);
    }
  });

  it("asks for an object with steps that have ids", () => {
    expect(parseDefinitionText("[]")).toMatchObject({ ok: false, message: /must be a JSON object/ });
    expect(parseDefinitionText('{"steps": []}')).toMatchObject({ ok: false, message: /at least one step/ });
    expect(parseDefinitionText('{"steps": [{"type": "prompt"}]}')).toMatchObject({
      ok: false,
      message: 'Step 1 needs an "id" (a string)',
    });
  });

  it("computes line and column from an offset", () => {
    expect(lineColumn("ab\ncd\nef", 4)).toEqual({ line: 2, column: 2 });
  });
});

describe("the DAG of a definition", () => {
  it("finds step references, with spaces and json paths, once each", () => {
    expect(
      stepRefs("{{steps.a.output}} {{ steps.b.json.x.1 }} {{steps.a.output}} {{inputs.c}} {{steps.c.json}}"),
    ).toEqual(["a", "b", "c"]);
  });

  it("draws an edge from each referenced, known step to the step using it", () => {
    expect(definitionEdges(diamond)).toEqual([
      { from: "summary", to: "join" },
      { from: "critique", to: "join" },
      { from: "join", to: "words" },
    ]);
  });

  it("describes steps for the nodes", () => {
    const names = (id: string) => (id === "pmt_1" ? "Summarize" : undefined);
    expect(describeStep(diamond.steps[0]!, names)).toBe("Summarize");
    expect(describeStep(diamond.steps[1]!, names)).toBe("pmt_2 @production");
    expect(describeStep({ id: "p", type: "prompt", prompt_id: "pmt_1", version: 3 }, names)).toBe(
      "Summarize v3",
    );
    expect(describeStep(diamond.steps[2]!)).toBe("template");
    expect(describeStep({ id: "p", type: "prompt", prompt_id: "pmt_1", model: "mock/lorem" }, names)).toBe(
      "Summarize on mock/lorem",
    );
  });

  it("starts new workflows from a valid parallel-then-join example", () => {
    const d = starterDefinition();
    expect(definitionEdges(d)).toEqual([
      { from: "shout", to: "join" },
      { from: "whisper", to: "join" },
    ]);
  });
});

describe("groupIssues", () => {
  it("groups the API's problems by step in definition order, the step-less ones last", () => {
    const details = [
      { step: null, path: "definition.output", message: 'unknown step "nope"' },
      { step: "join", path: "definition.steps.2.template", message: 'unknown step "ghost"' },
      { step: "summary", path: "definition.steps.0", message: "cycle: summary → join → summary" },
      { step: "join", path: "definition.steps.2", message: "another" },
    ];
    expect(groupIssues(details, diamond)).toEqual([
      { step: "summary", issues: [{ path: "", message: "cycle: summary → join → summary" }] },
      {
        step: "join",
        issues: [
          { path: "template", message: 'unknown step "ghost"' },
          { path: "", message: "another" },
        ],
      },
      { step: null, issues: [{ path: "output", message: 'unknown step "nope"' }] },
    ]);
  });

  it("maps the schema's path-only problems to the step at that index", () => {
    const details = [
      { path: "body.definition.steps.1.op", message: "Invalid discriminator value" },
      { path: "body.definition.steps.9", message: "no such step" },
      { path: "body.name", message: "Required" },
    ];
    expect(groupIssues(details, diamond)).toEqual([
      { step: "critique", issues: [{ path: "op", message: "Invalid discriminator value" }] },
      { step: "step 10", issues: [{ path: "", message: "no such step" }] },
      { step: null, issues: [{ path: "body.name", message: "Required" }] },
    ]);
  });

  it("ignores details that are not problems", () => {
    expect(groupIssues({ missing: ["x"] }, diamond)).toEqual([]);
    expect(groupIssues([null, 3, { nope: 1 }], diamond)).toEqual([]);
  });
});

describe("adding a prompt step", () => {
  it("wires each variable to an input of the same name, declaring missing inputs", () => {
    const d = addPromptStep(starterDefinition(), { id: "pmt_9", name: "Greeter v2" }, ["name", "topic"]);
    expect(d.inputs).toEqual([{ name: "topic" }, { name: "name" }]);
    expect(d.steps.at(-1)).toEqual({
      id: "greeter_v2",
      type: "prompt",
      prompt_id: "pmt_9",
      variables: { name: "{{inputs.name}}", topic: "{{inputs.topic}}" },
    });
  });

  it("never reuses a step id", () => {
    expect(uniqueStepId("Join", ["join", "join_2"])).toBe("join_3");
    expect(uniqueStepId("42 things", [])).toBe("step_42_things");
  });
});

describe("run inputs", () => {
  it("sends typed values and leaves blank optional ones to their defaults", () => {
    const defs = [{ name: "topic" }, { name: "tone", default: "kind" }, { name: "extra", required: false }];
    expect(runInputs(defs, { topic: "cats", tone: "", extra: "" })).toEqual({ topic: "cats" });
    expect(runInputs(defs, { topic: "", tone: "harsh" })).toEqual({ topic: "", tone: "harsh" });
    expect(defs.map(isInputRequired)).toEqual([true, false, false]);
  });
});

describe("locateJsonError", () => {
  it("finds nothing wrong with valid JSON", () => {
    for (const ok of ['{"a": [1, -2.5e3, true, null, "x\\n\\u00e9"]}', " [] ", '"s"', "0"])
      expect(locateJsonError(ok), ok).toBeNull();
  });

  it("points at the first error, with a message a person can act on", () => {
    expect(locateJsonError('{"a": 1,}')).toEqual({
      offset: 8,
      message: "expected a property name in double quotes, found “}”",
    });
    expect(locateJsonError('{"a" 1}')).toEqual({
      offset: 5,
      message: "expected “:” after the property name, found “1”",
    });
    expect(locateJsonError("[1 2]")).toEqual({
      offset: 3,
      message: "expected “,” or “]” after an item, found “2”",
    });
    expect(locateJsonError('{"a": tru}')?.message).toBe("expected a value, found “t”");
    expect(locateJsonError('{"a": "x')?.message).toBe('a string that is never closed (missing ")');
    expect(locateJsonError('{"a": "x\ny"}')?.message).toBe("a line break inside a string (write \\n)");
    expect(locateJsonError("{} x")).toEqual({
      offset: 3,
      message: "unexpected “x” after the end of the JSON",
    });
    expect(locateJsonError("")?.message).toBe("expected a value, found the end of the text");
  });

  it("agrees with JSON.parse on what is valid", () => {
    const samples = [
      '{"a":01}',
      "[1,]",
      '{"a":"\\x"}',
      "[.5]",
      "[1e]",
      '{"a":[{"b":null}]}',
      "nul",
      "-",
      "[-0]",
    ];
    for (const s of samples) {
      let valid = true;
      try {
        JSON.parse(s);
      } catch {
        valid = false;
      }
      expect(locateJsonError(s) === null, s).toBe(valid);
    }
  });
});
