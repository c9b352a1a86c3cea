import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StepRunStatus } from "../../lib/db-types.ts";
import {
  dependencies,
  findCycle,
  levels,
  nextActions,
  parseRef,
  RenderError,
  renderOutput,
  renderTemplate,
  resolveInputs,
  runTransform,
  scanTemplate,
  topologicalOrder,
  validateStructure,
} from "./dag.ts";
import { type Definition, definitionSchema } from "./schemas.ts";

const def = (d: unknown): Definition => definitionSchema.parse(d);
const tpl = (id: string, template: string) => ({ id, type: "transform", op: "template", template });

describe("reference syntax", () => {
  it("parses inputs, step outputs and JSON paths, and nothing else", () => {
    expect(parseRef("inputs.topic")).toEqual({ kind: "input", name: "topic" });
    expect(parseRef("steps.draft-1.output")).toEqual({ kind: "step", id: "draft-1", json: null });
    expect(parseRef("steps.a.json")).toEqual({ kind: "step", id: "a", json: [] });
    expect(parseRef("steps.a.json.items.0.name")).toEqual({
      kind: "step",
      id: "a",
      json: ["items", "0", "name"],
    });
    for (const bad of [
      "topic",
      "inputs",
      "inputs.a.b",
      "steps.a",
      "steps.a.output.x",
      "steps.a.text",
      "env.HOME",
    ]) {
      expect(parseRef(bad), bad).toBeNull();
    }
    expect(scanTemplate("{{ inputs.a }} and {{steps.b.output}} and {{oops}}")).toEqual({
      refs: [
        { kind: "input", name: "a" },
        { kind: "step", id: "b", json: null },
      ],
      invalid: ["{{oops}}"],
    });
  });

  it("renders values verbatim, never re-expanding a value that looks like a reference", () => {
    const scope = {
      inputs: { topic: "{{inputs.secret}}", n: 3, flag: true, secret: "s3cret" },
      outputs: { a: "alpha", j: '{"items":[{"name":"x"},{"name":"y"}],"n":2,"o":{"k":1}}' },
    };
    expect(renderTemplate("T={{inputs.topic}} n={{ inputs.n }} f={{inputs.flag}}", scope)).toBe(
      "T={{inputs.secret}} n=3 f=true",
    );
    expect(renderTemplate("{{steps.a.output}}/{{steps.j.json.items.1.name}}/{{steps.j.json.n}}", scope)).toBe(
      "alpha/y/2",
    );
    expect(renderTemplate("{{steps.j.json.o}}", scope)).toBe('{"k":1}');
    expect(() => renderTemplate("{{steps.a.json.x}}", scope)).toThrow(RenderError);
    expect(() => renderTemplate("{{steps.j.json.items.5}}", scope)).toThrow(/no value at "items.5"/);
    expect(() => renderTemplate("{{steps.zz.output}}", scope)).toThrow(/has no output/);
  });

  it("runs every transform op", () => {
    const scope = { inputs: { s: "  Hello World  ", j: '{"a":{"b":[1,"two"]}}' }, outputs: {} };
    const t = (step: Record<string, unknown>) => {
      const d = def({
        inputs: [{ name: "s" }, { name: "j" }],
        steps: [{ id: "x", type: "transform", ...step }],
        output: "",
      });
      const s = d.steps[0];
      if (s?.type !== "transform") throw new Error("not a transform");
      return runTransform(s, scope);
    };
    expect(t({ op: "template", template: "<{{inputs.s}}>" })).toBe("<  Hello World  >");
    expect(t({ op: "trim", input: "{{inputs.s}}" })).toBe("Hello World");
    expect(t({ op: "uppercase", input: "{{inputs.s}}" })).toBe("  HELLO WORLD  ");
    expect(t({ op: "lowercase", input: "{{inputs.s}}" })).toBe("  hello world  ");
    expect(t({ op: "concat", inputs: ["a", "{{inputs.j}}", "c"], separator: "|" })).toBe(
      'a|{"a":{"b":[1,"two"]}}|c',
    );
    expect(t({ op: "json_parse", input: ' { "x" : 1 } ' })).toBe('{"x":1}');
    expect(() => t({ op: "json_parse", input: "{nope" })).toThrow(/not valid JSON/);
    expect(t({ op: "json_get", input: "{{inputs.j}}", path: "a.b.1" })).toBe("two");
    expect(t({ op: "json_get", input: "{{inputs.j}}", path: "a" })).toBe('{"b":[1,"two"]}');
    expect(() => t({ op: "json_get", input: "{{inputs.j}}", path: "a.c" })).toThrow(/no value at "a.c"/);
  });

  it("renders an object output key by key", () => {
    const d = def({
      steps: [tpl("a", "x")],
      output: { first: "{{steps.a.output}}", both: "{{steps.a.output}}!" },
    });
    expect(renderOutput(d, { inputs: {}, outputs: { a: "A" } })).toEqual({ first: "A", both: "A!" });
  });
});

describe("validation", () => {
  it("accepts a diamond and derives its edges and levels", () => {
    const d = def({
      inputs: [{ name: "topic" }],
      steps: [
        tpl("join", "{{steps.left.output}} + {{steps.right.json.k}}"),
        tpl("left", "L {{steps.root.output}}"),
        tpl("right", "R {{steps.root.output}} {{steps.root.output}}"),
        tpl("root", "{{inputs.topic}}"),
      ],
      output: "{{steps.join.output}}",
    });
    expect(validateStructure(d)).toEqual([]);
    const deps = dependencies(d);
    expect(deps.get("join")).toEqual(["left", "right"]);
    expect(deps.get("right")).toEqual(["root"]);
    const ids = d.steps.map((s) => s.id);
    expect(topologicalOrder(ids, deps)).toEqual(["root", "left", "right", "join"]);
    expect(Object.fromEntries(levels(ids, deps))).toEqual({ root: 0, left: 1, right: 1, join: 2 });
  });

  it("reports a cycle with its steps in order, naming a step", () => {
    const d = def({
      steps: [
        tpl("a", "{{steps.c.output}}"),
        tpl("b", "{{steps.a.output}}"),
        tpl("c", "{{steps.b.output}}"),
        tpl("d", "x"),
      ],
      output: "{{steps.d.output}}",
    });
    const issues = validateStructure(d);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.step).toBe("a");
    expect(issues[0]?.message).toBe("cycle: a → b → c → a");
    expect(findCycle(["d"], dependencies(d))).toBeNull();
  });

  it("reports unknown references, self-references, bad placeholders and duplicates, each with its step and path", () => {
    const d = def({
      inputs: [{ name: "x" }, { name: "x" }],
      steps: [
        tpl("a", "{{inputs.nope}} {{steps.ghost.output}}"),
        tpl("b", "{{steps.b.output}}"),
        { id: "a", type: "transform", op: "concat", inputs: ["ok", "{{ step.a.output }}"] },
      ],
      output: { out: "{{steps.missing.output}}" },
    });
    expect(validateStructure(d)).toEqual([
      { step: null, path: "definition.inputs.1.name", message: 'input "x" is declared twice' },
      { step: "a", path: "definition.steps.2.id", message: 'step id "a" is used twice' },
      {
        step: "a",
        path: "definition.steps.0.template",
        message: 'unknown input "nope" (declare it in inputs)',
      },
      { step: "a", path: "definition.steps.0.template", message: 'unknown step "ghost"' },
      { step: "b", path: "definition.steps.1.template", message: 'step "b" references its own output' },
      {
        step: "a",
        path: "definition.steps.2.inputs.1",
        message:
          "{{ step.a.output }} is not a reference; use {{inputs.<name>}}, {{steps.<id>.output}} or {{steps.<id>.json.<path>}}",
      },
      { step: null, path: "definition.output.out", message: 'unknown step "missing"' },
    ]);
  });

  it("resolves inputs: defaults, required ones, unknown ones", () => {
    const d = def({
      inputs: [{ name: "a" }, { name: "b", default: 2 }, { name: "c", required: false }],
      steps: [tpl("s", "x")],
      output: "",
    });
    expect(resolveInputs(d, { a: "x" })).toEqual({ values: { a: "x", b: 2 }, issues: [] });
    expect(resolveInputs(d, { b: 3, zz: 1 }).issues.map((i) => i.message)).toEqual([
      'unknown input "zz"',
      'input "a" is required',
    ]);
  });
});

describe("scheduler", () => {
  const chain = def({
    steps: [tpl("a", "x"), tpl("b", "{{steps.a.output}}"), tpl("c", "{{steps.b.output}}"), tpl("solo", "y")],
    output: "",
  });
  const ids = chain.steps.map((s) => s.id);
  const deps = dependencies(chain);
  const st = (o: Record<string, StepRunStatus>) => new Map(ids.map((id) => [id, o[id] ?? "pending"]));

  it("starts every step whose dependencies succeeded", () => {
    expect(nextActions(ids, deps, st({}), "fail_fast")).toEqual({ start: ["a", "solo"], skip: [] });
    expect(nextActions(ids, deps, st({ a: "succeeded", solo: "running" }), "fail_fast")).toEqual({
      start: ["b"],
      skip: [],
    });
  });

  it("continue: skips everything downstream of a failure, runs the independent branch", () => {
    expect(nextActions(ids, deps, st({ a: "failed" }), "continue")).toEqual({
      start: ["solo"],
      skip: ["b", "c"],
    });
  });

  it("fail_fast: skips every pending step after a failure", () => {
    expect(nextActions(ids, deps, st({ a: "failed" }), "fail_fast")).toEqual({
      start: [],
      skip: ["b", "c", "solo"],
    });
  });

  /** A random DAG: each step may reference any step before it in a random permutation. */
  const randomDag = fc
    .integer({ min: 1, max: 14 })
    .chain((n) =>
      fc.record({
        perm: fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => `s${i}`),
          { minLength: n, maxLength: n },
        ),
        edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
        fails: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        pick: fc.array(fc.nat(100), { minLength: 64, maxLength: 64 }),
      }),
    )
    .map(({ perm, edges, fails, pick }) => {
      const refs = new Map(perm.map((id) => [id, new Set<string>()]));
      for (const [x, y] of edges) {
        const [lo, hi] = x < y ? [x, y] : [y, x];
        if (lo !== hi) refs.get(perm[hi] as string)?.add(perm[lo] as string);
      }
      // Steps listed in a shuffled order, so the definition order says nothing about the dependency order.
      const listed = [...perm].sort();
      const d = def({
        steps: listed.map((id) =>
          tpl(id, [...(refs.get(id) ?? [])].map((r) => `{{steps.${r}.output}}`).join(" ")),
        ),
        output: "",
      });
      return {
        d,
        edges: [...refs].flatMap(([to, from]) => [...from].map((f) => [f, to] as const)),
        fails,
        pick,
      };
    });

  it("property: the topological order and a simulated parallel schedule respect every edge", () => {
    fc.assert(
      fc.property(randomDag, ({ d, edges, fails, pick }) => {
        expect(validateStructure(d)).toEqual([]);
        const ids = d.steps.map((s) => s.id);
        const g = dependencies(d);
        const order = topologicalOrder(ids, g);
        for (const [from, to] of edges) expect(order.indexOf(from)).toBeLessThan(order.indexOf(to));

        for (const policy of ["continue", "fail_fast"] as const) {
          const status = new Map<string, StepRunStatus>(ids.map((id) => [id, "pending"]));
          const startedAt = new Map<string, number>();
          const finishedAt = new Map<string, number>();
          const running: string[] = [];
          let clock = 0;
          for (let guard = 0; guard < 1000; guard++) {
            const { start, skip } = nextActions(ids, g, status, policy);
            for (const id of skip) status.set(id, "skipped");
            for (const id of start) {
              status.set(id, "running");
              startedAt.set(id, clock++);
              running.push(id);
            }
            if (running.length === 0) break;
            // Some running step finishes (which one is the property's choice): fails or succeeds.
            const i = (pick[guard % pick.length] ?? 0) % running.length;
            const [done] = running.splice(i, 1) as [string];
            status.set(done, fails[ids.indexOf(done)] ? "failed" : "succeeded");
            finishedAt.set(done, clock++);
          }
          // Every step ended, and none started before each of its dependencies had succeeded.
          for (const id of ids) expect(["succeeded", "failed", "skipped"]).toContain(status.get(id));
          for (const [from, to] of edges) {
            if (!startedAt.has(to)) continue;
            expect(status.get(from)).toBe("succeeded");
            expect(finishedAt.get(from) as number).toBeLessThan(startedAt.get(to) as number);
          }
          if (policy === "continue") {
            // A step is skipped exactly when one of its dependencies did not succeed.
            for (const id of ids) {
              const blocked = (g.get(id) ?? []).some((dep) => status.get(dep) !== "succeeded");
              expect(status.get(id) === "skipped", id).toBe(blocked);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
