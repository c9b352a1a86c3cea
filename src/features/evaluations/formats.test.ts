import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Item, itemsToCsv, itemsToJsonl, parseDatasetCsv, parseJsonl } from "./formats.ts";

describe("JSONL datasets", () => {
  it("reads items, skipping blank lines, with defaults for the optional keys", () => {
    const r = parseJsonl(
      '{"variables": {"q": "2+2", "n": 4, "b": true}, "expected": "4"}\n\n{"metadata": {"tag": "x"}}\r\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.items).toEqual([
      { variables: { q: "2+2", n: 4, b: true }, expected: "4", metadata: {} },
      { variables: {}, expected: null, metadata: { tag: "x" } },
    ]);
  });
  it("lists every bad line by its 1-based number, and keeps none of the file's items", () => {
    const text = [
      '{"variables": {"q": "ok"}}',
      "{not json",
      "[1, 2]",
      '{"variables": {"q": 1}, "extra": true}',
      "",
      '{"variables": {"bad name": "x"}}',
      '{"variables": {"q": {"nested": 1}}}',
      '{"expected": 5}',
    ].join("\n");
    const r = parseJsonl(text);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 6, 7, 8]);
    expect(r.errors[0]?.message).toMatch(/not valid JSON/);
    expect(r.errors[1]?.message).toMatch(/must be a JSON object/);
    expect(r.errors[2]?.message).toMatch(/extra/);
    expect(r.errors[3]?.message).toMatch(/variables/);
    expect(r.errors[5]?.message).toMatch(/expected/);
  });
});

describe("CSV datasets", () => {
  it("maps expected and metadata columns; every other column is a variable (a string)", () => {
    const csv =
      'question,expected,metadata,lang\r\n"What is 2+2, roughly?",4,"{""difficulty"": 1}",en\r\nHi,,,fr\r\n';
    const r = parseDatasetCsv(csv);
    expect(r.errors).toEqual([]);
    expect(r.items).toEqual([
      {
        variables: { question: "What is 2+2, roughly?", lang: "en" },
        expected: "4",
        metadata: { difficulty: 1 },
      },
      { variables: { question: "Hi", lang: "fr" }, expected: null, metadata: {} },
    ]);
  });
  it("reports bad rows by line (the header is line 1; a multi-line record counts from its first line)", () => {
    const csv = 'q,expected,metadata\n"two\nlines",a,\nx,y\nok,b,{oops\nfine,c,[1]\n';
    const r = parseDatasetCsv(csv);
    expect(r.errors).toEqual([
      { line: 4, message: "expected 3 fields, found 2" },
      { line: 5, message: expect.stringMatching(/^metadata: not valid JSON/) },
      { line: 6, message: expect.stringMatching(/metadata/) },
    ]);
  });
  it("reports header problems on line 1 and quoting errors where they are", () => {
    expect(parseDatasetCsv("q,q\n1,2\n").errors).toEqual([{ line: 1, message: 'column "q" appears twice' }]);
    expect(parseDatasetCsv("good,bad name\n1,2\n").errors[0]).toMatchObject({ line: 1, message: /bad name/ });
    expect(parseDatasetCsv("").errors).toEqual([
      { line: 1, message: "the file is empty; expected a header row" },
    ]);
    expect(parseDatasetCsv('q\nok\n"open\n').errors[0]).toMatchObject({ line: 3, message: /never closed/ });
  });
});

describe("export → import round trips", () => {
  const name = fc
    .stringMatching(/^[a-z_][a-z0-9_]{0,8}$/)
    .filter((n) => n !== "expected" && n !== "metadata");
  const text = fc.string({ maxLength: 30 });
  const meta = fc.dictionary(
    fc.string({ maxLength: 5 }),
    fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()),
    {
      maxKeys: 3,
    },
  );
  const items = (value: fc.Arbitrary<string | number | boolean>, expected: fc.Arbitrary<string | null>) =>
    fc.uniqueArray(name, { minLength: 1, maxLength: 4 }).chain((names) =>
      fc.array(
        fc.record({
          variables: fc
            .tuple(...names.map(() => value))
            .map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i]]))),
          expected,
          metadata: meta,
        }),
        { minLength: 1, maxLength: 10 },
      ),
    );

  it("property: JSONL keeps every item exactly, types included", () => {
    fc.assert(
      fc.property(items(fc.oneof(text, fc.integer(), fc.boolean()), fc.option(text, { nil: null })), (xs) => {
        const r = parseJsonl(itemsToJsonl(xs as Item[]));
        expect(r.errors).toEqual([]);
        expect(r.items).toEqual(xs);
      }),
      { numRuns: 300 },
    );
  });

  it("property: CSV keeps every item whose values are strings (an empty expected reads back as none)", () => {
    fc.assert(
      fc.property(
        items(
          text,
          fc.option(
            text.filter((s) => s !== ""),
            { nil: null },
          ),
        ),
        (xs) => {
          const r = parseDatasetCsv(itemsToCsv(xs as Item[]));
          expect(r.errors).toEqual([]);
          expect(r.items).toEqual(xs);
        },
      ),
      { numRuns: 300 },
    );
  });
});
