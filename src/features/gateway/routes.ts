import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, typed } from "../../lib/http.ts";
import { runModelCall, streamModelCall } from "../executions/pipeline.ts";
import { openSse } from "../executions/sse.ts";
import * as models from "../models/service.ts";
import { fromOpenAI, openAIFinishReason, openAIUsage } from "./translate.ts";

/** Loose on purpose: OpenAI clients send fields we ignore (user, seed, metadata …); translate.ts refuses what we can't honour. */
const chatRequest = z
  .object({
    model: z.string().min(1).max(128),
    messages: z
      .array(z.object({ role: z.string(), content: z.unknown(), name: z.string().optional() }).passthrough())
      .min(1)
      .max(1000),
    temperature: z.number().min(0).max(2).nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(8)])
      .nullable()
      .optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullable().optional(),
    n: z.number().int().nullable().optional(),
    tools: z.unknown().optional(),
    functions: z.unknown().optional(),
  })
  .passthrough();

export function registerGatewayRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["openai-compatible"];

  r.get(
    "/v1/models",
    {
      config: { rules: { permission: "models:read" } },
      schema: { tags, summary: "OpenAI-compatible model list (catalog slugs as ids)" },
    },
    async (req) => {
      const list = await models.listModels(deps, ctxOf(req));
      return {
        object: "list",
        data: list.map((m) => ({ id: m.slug, object: "model", created: 0, owned_by: m.provider })),
      };
    },
  );

  r.post(
    "/v1/chat/completions",
    {
      config: {
        rules: { permission: "executions:run", audit: { none: "the execution row is its own record" } },
      },
      schema: {
        tags,
        summary: "OpenAI-compatible Chat Completions; `model` is a Lectern catalog slug",
        description:
          "Works with the official OpenAI clients pointed at http://host:port/v1. Metered like any execution.",
        body: chatRequest,
      },
    },
    async (req, reply) => {
      const ctx = ctxOf(req);
      const { messages, params } = fromOpenAI(req.body);
      // Gateway messages are taken literally: no {{variable}} rendering.
      const call = { source: "gateway" as const, model: req.body.model, messages, params, render: false };
      const created = Math.floor(deps.clock.now().getTime() / 1000);
      if (!req.body.stream) {
        const e = await runModelCall(deps, ctx, call);
        return {
          id: `chatcmpl-${e.id}`,
          object: "chat.completion",
          created,
          model: e.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: e.output ?? "", refusal: null },
              finish_reason: openAIFinishReason(e.finish_reason),
              logprobs: null,
            },
          ],
          usage: openAIUsage(e.usage),
        };
      }
      const abort = new AbortController();
      const events = await streamModelCall(deps, ctx, call, abort.signal);
      const sse = openSse(req, reply);
      sse.signal.addEventListener("abort", () => abort.abort());
      const includeUsage = req.body.stream_options?.include_usage === true;
      let id = "";
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
        JSON.stringify({
          id,
          object: "chat.completion.chunk",
          created,
          model: req.body.model,
          choices,
          ...extra,
        });
      for await (const ev of events) {
        if (ev.type === "start") {
          id = `chatcmpl-${ev.executionId}`;
          sse.data(
            chunk(
              [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
              includeUsage ? { usage: null } : {},
            ),
          );
        } else if (ev.type === "delta") {
          sse.data(
            chunk(
              [{ index: 0, delta: { content: ev.text }, finish_reason: null }],
              includeUsage ? { usage: null } : {},
            ),
          );
        } else if (ev.type === "done") {
          sse.data(
            chunk(
              [{ index: 0, delta: {}, finish_reason: openAIFinishReason(ev.execution.finish_reason) }],
              includeUsage ? { usage: null } : {},
            ),
          );
          if (includeUsage) sse.data(chunk([], { usage: openAIUsage(ev.execution.usage) }));
        } else {
          // OpenAI's SDK throws an APIError when a data payload carries an `error` key.
          sse.data(
            JSON.stringify({
              error: {
                message: ev.error.message,
                type: "server_error",
                code: ev.error.code,
                request_id: String(req.id),
              },
            }),
          );
        }
      }
      sse.data("[DONE]");
      sse.end();
      return reply;
    },
  );
}
