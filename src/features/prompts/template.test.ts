import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../providers/types.ts";
import { extractVariables, missingVariables, render } from "./template.ts";

const msg = (text: string): ChatMessage[] => [{ role: "user", content: [{ type: "text", text }] }];

describe("prompt templates", () => {
  it("extracts variable names, deduplicated and sorted", () => {
    expect(extractVariables(msg("Hi {{name}}, {{ topic }} and {{name}} again; {{user.id}}"))).toEqual([
      "name",
      "topic",
      "user.id",
    ]);
    expect(extractVariables(msg("no vars { {x} } {{1bad}}"))).toEqual([]);
  });

  it("renders values verbatim and lists missing names", () => {
    const tpl = msg("Summarize {{text}} in {{n}} words");
    expect(missingVariables(tpl, { text: "x" })).toEqual(["n"]);
    expect(render(tpl, { text: "the news", n: 5 })[0]?.content[0]).toEqual({
      type: "text",
      text: "Summarize the news in 5 words",
    });
  });

  it("never expands placeholders that appear inside a value", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const out = render(msg("[{{a}}]{{b}}"), { a: value, b: "{{a}}" });
        const first = out[0]?.content[0];
        expect(first?.type === "text" && first.text).toBe(`[${value}]{{a}}`);
      }),
    );
  });
});
