import { z } from "zod";
import type { ChatMessage } from "./types.ts";

/** Lectern's own message format at the API edge. Content may be a string (shorthand for one text part). */
const textPart = z.object({ type: z.literal("text"), text: z.string().max(1_000_000) });
const imagePart = z.object({
  type: z.literal("image"),
  source: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("url"), url: z.string().url().max(8192) }),
    z.object({
      kind: z.literal("base64"),
      media_type: z.enum(["image/png", "image/jpeg", "image/webp", "image/gif"]),
      data: z.string().max(30_000_000),
    }),
    z.object({ kind: z.literal("media"), media_id: z.string().min(1).max(64) }),
  ]),
  detail: z.enum(["auto", "low", "high"]).optional(),
});
export const contentPart = z.discriminatedUnion("type", [textPart, imagePart]);

export const messageInput = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.union([z.string().max(1_000_000), z.array(contentPart).min(1).max(500)]),
});
export const messagesInput = z.array(messageInput).min(1).max(1000);

export const paramsInput = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stop: z.array(z.string().min(1).max(200)).max(8).optional(),
  })
  .strict();

export type MessageInput = z.infer<typeof messageInput>;
export type ParamsInput = z.infer<typeof paramsInput>;

/** The stored and returned form: content always a list of parts. */
export const messageOutput = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.array(z.record(z.string(), z.unknown())),
});

export function normalizeMessages(input: MessageInput[]): ChatMessage[] {
  return input.map((m) => ({
    role: m.role,
    content:
      typeof m.content === "string"
        ? [{ type: "text" as const, text: m.content }]
        : m.content.map((p) =>
            p.type === "text"
              ? { type: "text" as const, text: p.text }
              : {
                  type: "image" as const,
                  source:
                    p.source.kind === "url"
                      ? { kind: "url" as const, url: p.source.url }
                      : p.source.kind === "base64"
                        ? { kind: "base64" as const, mediaType: p.source.media_type, data: p.source.data }
                        : { kind: "media" as const, mediaId: p.source.media_id },
                  ...(p.detail ? { detail: p.detail } : {}),
                },
          ),
  }));
}

/** Back to the API's snake_case form for responses. */
export function messagesView(
  messages: ChatMessage[],
): Array<{ role: ChatMessage["role"]; content: Array<Record<string, unknown>> }> {
  return messages.map((m) => ({
    role: m.role,
    content: m.content.map((p) =>
      p.type === "text"
        ? { type: "text", text: p.text }
        : {
            type: "image",
            source:
              p.source.kind === "url"
                ? { kind: "url", url: p.source.url }
                : p.source.kind === "base64"
                  ? { kind: "base64", media_type: p.source.mediaType, data: p.source.data }
                  : { kind: "media", media_id: p.source.mediaId },
            ...(p.detail ? { detail: p.detail } : {}),
          },
    ),
  }));
}

export type StoredParams = {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string[];
};

export function toModelParams(p: StoredParams) {
  return {
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.max_tokens !== undefined ? { maxTokens: p.max_tokens } : {}),
    ...(p.top_p !== undefined ? { topP: p.top_p } : {}),
    ...(p.stop !== undefined ? { stop: p.stop } : {}),
  };
}
