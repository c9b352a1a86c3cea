import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Take over the response for Server-Sent Events. Returns a writer and an AbortSignal that fires when the
 * client goes away, so the provider call can be cancelled.
 */
export function openSse(req: FastifyRequest, reply: FastifyReply) {
  const controller = new AbortController();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  raw.on("close", () => {
    if (!raw.writableFinished) controller.abort();
  });
  req.raw.on("aborted", () => controller.abort());
  return {
    signal: controller.signal,
    /** a named event (Lectern's own streams) */
    event(name: string, data: unknown) {
      if (!raw.writableEnded) raw.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    /** an unnamed data line (OpenAI's wire format) */
    data(payload: string) {
      if (!raw.writableEnded) raw.write(`data: ${payload}\n\n`);
    },
    end() {
      if (!raw.writableEnded) raw.end();
    },
  };
}
