import { describe, expect, it } from "vitest";
import { readSse, type SseEvent, SseParser } from "./sse";

function parseAll(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  return [...chunks.flatMap((c) => p.feed(c)), ...p.end()];
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

const lectern =
  'event: start\ndata: {"id":"exe_1","model":"mock/echo"}\n\n' +
  'event: delta\ndata: {"text":"Echo:"}\n\n' +
  'event: delta\ndata: {"text":" hi"}\n\n' +
  'event: done\ndata: {"id":"exe_1","cost_usd":"0.0000135"}\n\n';

describe("SseParser", () => {
  it("parses Lectern's named events", () => {
    expect(parseAll([lectern]).map((e) => e.event)).toEqual(["start", "delta", "delta", "done"]);
    expect(parseAll([lectern])[1]).toEqual({ event: "delta", data: '{"text":"Echo:"}' });
  });

  it("gives the same events however the text is split, one character at a time included", () => {
    const whole = parseAll([lectern]);
    expect(parseAll([...lectern])).toEqual(whole);
    for (let cut = 1; cut < lectern.length; cut += 7) {
      expect(parseAll([lectern.slice(0, cut), lectern.slice(cut)])).toEqual(whole);
    }
  });

  it("accepts CRLF and lone CR line ends, including a CRLF split across chunks", () => {
    expect(parseAll(["event: a\r\ndata: 1\r", "\n\r\n"])).toEqual([{ event: "a", data: "1" }]);
    // Read as CR then LF, the split would end the event early and make two events of one.
    expect(parseAll(["data: 1\r", "\ndata: 2\n\n"])).toEqual([{ event: "message", data: "1\n2" }]);
    expect(parseAll(["data: x\r\rdata: y\r\r"])).toEqual([
      { event: "message", data: "x" },
      { event: "message", data: "y" },
    ]);
  });

  it("joins data lines, drops one leading space only, and ignores comments and unknown fields", () => {
    expect(parseAll([": keep-alive\ndata:a\ndata:  b\nretry: 10\nfoo\n\n"])).toEqual([
      { event: "message", data: "a\n b" },
    ]);
  });

  it("does not dispatch an event without data, and drops an unterminated event at the end", () => {
    expect(parseAll(["event: ping\n\n", "event: x\ndata: cut off"])).toEqual([]);
  });

  it("keeps the last event id", () => {
    expect(parseAll(["id: 7\ndata: a\n\ndata: b\n\n"])).toEqual([
      { event: "message", data: "a", id: "7" },
      { event: "message", data: "b", id: "7" },
    ]);
  });
});

describe("readSse", () => {
  it("decodes a multi-byte character split between chunks", async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"€ ok"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of "€"
    const events: SseEvent[] = [];
    for await (const e of readSse(streamOf([bytes.slice(0, cut), bytes.slice(cut)]))) events.push(e);
    expect(events).toEqual([{ event: "delta", data: '{"text":"€ ok"}' }]);
  });
});
