import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvError, parseCsv, toCsv } from "./csv.ts";

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe("parseCsv (RFC 4180)", () => {
  it("reads plain records with LF or CRLF, and no record for a trailing line break", () => {
    expect(fields("a,b\n1,2\n")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
    expect(fields("a,b\r\n1,2")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
    expect(fields("a,b\r1,2\r")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });
  it("keeps empty fields and spaces, and skips blank lines", () => {
    expect(fields("a,,c\n\n , x \n,\n")).toEqual([
      ["a", "", "c"],
      [" ", " x "],
      ["", ""],
    ]);
  });
  it("reads quoted fields with commas, escaped quotes and line breaks", () => {
    expect(fields('q,"a, b","say ""hi""","line1\r\nline2\nline3"\n')).toEqual([
      ["q", "a, b", 'say "hi"', "line1\r\nline2\nline3"],
    ]);
    expect(fields('""\n')).toEqual([[""]]);
    expect(fields('"",""')).toEqual([["", ""]]);
  });
  it("numbers records by the physical line they start on", () => {
    const recs = parseCsv('h1,h2\n"multi\nline",x\r\n\nlast,row\n');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 5]);
  });
  it("skips a UTF-8 byte-order mark", () => {
    expect(fields("\uFEFFa,b\n")).toEqual([["a", "b"]]);
  });
  it("rejects malformed quoting with the line of the problem", () => {
    const err = (text: string) => {
      try {
        parseCsv(text);
      } catch (e) {
        if (e instanceof CsvError) return { line: e.line, message: e.message };
        throw e;
      }
      throw new Error("no error");
    };
    expect(err('a,b\n1,"never closed\n2,3\n')).toMatchObject({ line: 2, message: /never closed/ });
    expect(err('a,b\n1,2\nx"y,3\n')).toMatchObject({
      line: 3,
      message: /double quote inside an unquoted field/,
    });
    expect(err('a,b\n"q"x,1\n')).toMatchObject({ line: 2, message: /after a closing quote/ });
  });
});

describe("toCsv", () => {
  it("quotes only what needs it and ends lines with CRLF", () => {
    expect(toCsv([["a", "b,c", 'd"e', "f\ng", ""]])).toBe('a,"b,c","d""e","f\ng",\r\n');
    expect(toCsv([[""]])).toBe('""\r\n');
  });

  const row = (width: number) =>
    fc.array(fc.string({ maxLength: 12 }), { minLength: width, maxLength: width });
  const table = fc.integer({ min: 1, max: 5 }).chain((w) => fc.array(row(w), { maxLength: 12 }));
  const tricky = fc.integer({ min: 1, max: 4 }).chain((w) =>
    fc.array(
      fc.array(
        fc
          .array(fc.constantFrom('"', ",", "\n", "\r", "\r\n", " ", "a", "é", ""), { maxLength: 6 })
          .map((p) => p.join("")),
        { minLength: w, maxLength: w },
      ),
      { maxLength: 8 },
    ),
  );

  it("property: parse(toCsv(rows)) gives the rows back", () => {
    for (const arb of [table, tricky]) {
      fc.assert(
        fc.property(arb, (rows) => {
          expect(fields(toCsv(rows))).toEqual(rows);
        }),
        { numRuns: 500 },
      );
    }
  });

  it("property: each record starts on the line after the previous record's lines", () => {
    fc.assert(
      fc.property(tricky, (rows) => {
        const text = toCsv(rows);
        const recs = parseCsv(text);
        let line = 1;
        for (const [i, r] of recs.entries()) {
          expect(r.line).toBe(line);
          const written = toCsv([rows[i] as string[]]);
          line += (written.match(/\r\n|\n|\r/g) ?? []).length;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("property: any text either parses or fails with a CsvError carrying a line number", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseCsv(text);
        } catch (e) {
          return e instanceof CsvError && e.line >= 1;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
