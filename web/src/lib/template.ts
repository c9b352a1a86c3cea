import type { ContentPart, Message, MessageInput, MessageRole, Params } from "../api/types";

/**
 * The same placeholder rule as the server (src/features/prompts/template.ts): `{{name}}`, names of
 * letters, digits, `_`, `.`, `-` starting with a letter or `_`, spaces inside the braces allowed.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** A message as the editors hold it: the text, plus any non-text parts (images) carried along untouched. */
export interface EditableMessage {
  role: MessageRole;
  text: string;
  otherParts: ContentPart[];
}

export function extractVariables(messages: ReadonlyArray<{ text: string }>): string[] {
  const names = new Set<string>();
  for (const m of messages)
    for (const match of m.text.matchAll(PLACEHOLDER)) if (match[1]) names.add(match[1]);
  return [...names].sort();
}

export function toEditable(messages: Message[]): EditableMessage[] {
  return messages.map((m) => {
    const texts: string[] = [];
    const otherParts: ContentPart[] = [];
    for (const p of m.content) {
      if (p.type === "text" && typeof p.text === "string") texts.push(p.text);
      else otherParts.push(p);
    }
    return { role: m.role, text: texts.join("\n"), otherParts };
  });
}

export function toApiMessages(messages: EditableMessage[]): MessageInput[] {
  return messages.map((m) => {
    if (m.otherParts.length === 0) return { role: m.role, content: m.text };
    const parts: ContentPart[] = m.text === "" ? [] : [{ type: "text", text: m.text }];
    return { role: m.role, content: [...parts, ...m.otherParts] };
  });
}

/** Params as the form holds them: text inputs, "" meaning "the model's default". */
export interface ParamsForm {
  temperature: string;
  max_tokens: string;
  top_p: string;
  stop: string;
}

export const emptyParams: ParamsForm = { temperature: "", max_tokens: "", top_p: "", stop: "" };

export function paramsToForm(p: Params | Record<string, unknown>): ParamsForm {
  const v = p as Params;
  return {
    temperature: v.temperature === undefined ? "" : String(v.temperature),
    max_tokens: v.max_tokens === undefined ? "" : String(v.max_tokens),
    top_p: v.top_p === undefined ? "" : String(v.top_p),
    stop: Array.isArray(v.stop) ? v.stop.join(", ") : "",
  };
}

/** Validate with the API's bounds so the person sees the problem next to the field before sending. */
export function formToParams(f: ParamsForm): {
  params: Params;
  errors: Partial<Record<keyof ParamsForm, string>>;
} {
  const params: Params = {};
  const errors: Partial<Record<keyof ParamsForm, string>> = {};
  const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
  const t = num(f.temperature);
  if (t !== undefined) {
    if (Number.isNaN(t) || t < 0 || t > 2) errors.temperature = "A number from 0 to 2";
    else params.temperature = t;
  }
  const m = num(f.max_tokens);
  if (m !== undefined) {
    if (!Number.isInteger(m) || m < 1 || m > 1_000_000)
      errors.max_tokens = "A whole number from 1 to 1,000,000";
    else params.max_tokens = m;
  }
  const p = num(f.top_p);
  if (p !== undefined) {
    if (Number.isNaN(p) || p < 0 || p > 1) errors.top_p = "A number from 0 to 1";
    else params.top_p = p;
  }
  const stop = f.stop
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (stop.length > 8) errors.stop = "At most 8 stop sequences";
  else if (stop.length > 0) params.stop = stop;
  return { params, errors };
}

/** A version as plain text, for the diff: model and params first, then each message under its role. */
export function versionAsText(v: {
  model: string;
  params: Params | Record<string, unknown>;
  messages: Message[];
}): string {
  const lines = [`model: ${v.model}`];
  const params = Object.entries(v.params).sort(([a], [b]) => a.localeCompare(b));
  for (const [k, val] of params) lines.push(`${k}: ${JSON.stringify(val)}`);
  for (const m of toEditable(v.messages)) {
    lines.push("", `[${m.role}]`, ...m.text.split(/\r\n|\n|\r/));
    for (const p of m.otherParts) lines.push(`(${p.type} part) ${JSON.stringify(p)}`);
  }
  return lines.join("\n");
}
