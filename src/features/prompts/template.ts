import type { ChatMessage, ContentPart } from "../providers/types.ts";

/**
 * Prompt templates: `{{name}}` placeholders in text parts. Names are letters, digits, `_`, `.` and `-`,
 * starting with a letter or `_`; whitespace inside the braces is allowed (`{{ name }}`).
 * Values are inserted verbatim (no recursive expansion), so a variable's value can never inject a placeholder.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export function extractVariables(messages: ChatMessage[]): string[] {
  const names = new Set<string>();
  for (const m of messages) {
    for (const part of m.content) {
      if (part.type !== "text") continue;
      for (const match of part.text.matchAll(PLACEHOLDER)) if (match[1]) names.add(match[1]);
    }
  }
  return [...names].sort();
}

export type Variables = Record<string, string | number | boolean>;

/** The names a template needs that `variables` lacks (sorted). */
export function missingVariables(messages: ChatMessage[], variables: Variables): string[] {
  return extractVariables(messages).filter((n) => !Object.hasOwn(variables, n));
}

export function render(messages: ChatMessage[], variables: Variables): ChatMessage[] {
  return messages.map((m) => ({
    role: m.role,
    content: m.content.map((part): ContentPart => {
      if (part.type !== "text") return part;
      return {
        type: "text",
        text: part.text.replace(PLACEHOLDER, (whole, name: string) =>
          Object.hasOwn(variables, name) ? String(variables[name]) : whole,
        ),
      };
    }),
  }));
}
