/**
 * A Server-Sent Events parser for fetch() responses. EventSource cannot send a POST body or read a JSON
 * error before the stream, so the playground reads the stream itself. Follows the WHATWG rules that
 * matter here: lines end in CRLF, LF or CR; `data` lines join with "\n"; a leading space after the colon
 * is dropped; comments (":") are ignored; an event without data is not dispatched; an unterminated event
 * at end of stream is discarded.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;

  /** Feed decoded text; returns the events completed by it. */
  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (c === "\r" && i === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, i), out);
      if (c === "\r" && this.buffer[i + 1] === "\n") i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The stream ended: a trailing lone CR still ends a line; an event not closed by a blank line is dropped. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buffer.endsWith("\r")) this.line(this.buffer.slice(0, -1), out);
    this.buffer = "";
    this.data = [];
    this.event = "";
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        out.push({
          event: this.event || "message",
          data: this.data.join("\n"),
          ...(this.id !== undefined ? { id: this.id } : {}),
        });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

/** Read a response body as SSE events. Decodes UTF-8 across chunk boundaries. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
    yield* parser.end();
  } finally {
    reader.releaseLock();
  }
}
