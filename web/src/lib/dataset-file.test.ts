import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import {
  countLines,
  detectFormat,
  excerptLines,
  FileReadError,
  importLineErrors,
  readDatasetFile,
  sniffFormat,
} from "./dataset-file";

const file = (content: string, name: string, type = "") => new File([content], name, { type });

describe("detectFormat", () => {
  it("goes by the extension, then the media type", () => {
    expect(detectFormat("people.csv")).toBe("csv");
    expect(detectFormat("PEOPLE.CSV")).toBe("csv");
    expect(detectFormat("items.jsonl")).toBe("jsonl");
    expect(detectFormat("items.ndjson")).toBe("jsonl");
    expect(detectFormat("upload", "text/csv; charset=utf-8")).toBe("csv");
    expect(detectFormat("upload", "application/x-ndjson")).toBe("jsonl");
    expect(detectFormat("notes.txt", "text/plain")).toBeNull();
  });

  it("sniffs JSON objects from everything else, past a byte-order mark", () => {
    expect(sniffFormat('\uFEFF  {"variables": {}}')).toBe("jsonl");
    expect(sniffFormat("name,expected\nAda,Hi")).toBe("csv");
  });
});

describe("readDatasetFile", () => {
  it("reads the text and the format from the name", async () => {
    const f = await readDatasetFile(file("name,expected\nAda,Hi Ada\n\nBob,Hi Bob\n", "people.csv"));
    expect(f).toEqual({
      name: "people.csv",
      format: "csv",
      content: "name,expected\nAda,Hi Ada\n\nBob,Hi Bob\n",
      lines: 3,
    });
  });

  it("lets the person override the format, and sniffs when nothing says", async () => {
    expect((await readDatasetFile(file('{"variables":{}}', "data.csv"), "jsonl")).format).toBe("jsonl");
    expect((await readDatasetFile(file('{"variables":{}}\n', "data.txt"))).format).toBe("jsonl");
    expect((await readDatasetFile(file("a,b\n1,2\n", "data.txt"))).format).toBe("csv");
  });

  it("refuses an empty file and one over the limit, before the server sees it", async () => {
    await expect(readDatasetFile(file(" \n\n", "empty.csv"))).rejects.toThrow(
      new FileReadError("empty.csv is empty"),
    );
    await expect(readDatasetFile(file("x".repeat(2048), "big.csv"), "auto", 1024)).rejects.toThrow(
      /big\.csv is 2\.0 KB; the largest file an import takes is 1\.0 KB/,
    );
  });

  it("counts non-blank lines whatever the line endings", () => {
    expect(countLines("a\r\nb\rc\n\n")).toBe(3);
  });
});

describe("importLineErrors", () => {
  it("takes the per-line details of a refused import, in line order", () => {
    const err = new ApiError(400, "validation_failed", "The csv file has 2 bad lines", "req_1", [
      { line: 4, message: "expected 2 fields, found 3" },
      { line: 2, message: 'metadata: not valid JSON: Unexpected token "x"' },
    ]);
    expect(importLineErrors(err)).toEqual([
      { line: 2, message: 'metadata: not valid JSON: Unexpected token "x"' },
      { line: 4, message: "expected 2 fields, found 3" },
    ]);
  });

  it("finds none in other errors", () => {
    expect(importLineErrors(new ApiError(409, "conflict", "frozen", null, { dataset_id: "ds_1" }))).toEqual(
      [],
    );
    expect(
      importLineErrors(new ApiError(400, "validation_failed", "bad", null, [{ path: "body", message: "x" }])),
    ).toEqual([]);
    expect(importLineErrors(new Error("boom"))).toEqual([]);
  });
});

describe("excerptLines", () => {
  it("gives each bad line's own text, optionally with its neighbours", () => {
    const content = "\uFEFFname,expected\nAda,Hi\nBob,x,y\nCy,Hey";
    const errors = [{ line: 3, message: "expected 2 fields, found 3" }];
    expect(excerptLines(content, errors)).toEqual([{ line: 3, text: "Bob,x,y", bad: true }]);
    expect(excerptLines(content, errors, 1).map((l) => [l.line, l.bad])).toEqual([
      [2, false],
      [3, true],
      [4, false],
    ]);
  });
});
