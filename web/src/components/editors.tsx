import { useId } from "react";
import { useModels } from "../api/queries";
import type { Message, MessageRole } from "../api/types";
import type { EditableMessage, ParamsForm } from "../lib/template";
import { toEditable } from "../lib/template";
import { ErrorMessage } from "./states";

const ROLES: MessageRole[] = ["system", "user", "assistant"];

export function MessagesEditor({
  messages,
  onChange,
  readOnly = false,
}: {
  messages: EditableMessage[];
  onChange: (m: EditableMessage[]) => void;
  readOnly?: boolean;
}) {
  const base = useId();
  const update = (i: number, patch: Partial<EditableMessage>) =>
    onChange(messages.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  return (
    <fieldset className="messages-editor">
      <legend>Messages</legend>
      {messages.map((m, i) => {
        const roleId = `${base}-role-${i}`;
        const textId = `${base}-text-${i}`;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: messages have no identity beyond their position
          <div className={`message-row message-${m.role}`} key={i}>
            <div className="message-head">
              <label className="sr-only" htmlFor={roleId}>
                Role of message {i + 1}
              </label>
              <select
                id={roleId}
                value={m.role}
                disabled={readOnly}
                onChange={(e) => update(i, { role: e.target.value as MessageRole })}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
              {m.otherParts.length > 0 && (
                <span className="muted small">
                  + {m.otherParts.length} non-text part{m.otherParts.length === 1 ? "" : "s"} (kept as is)
                </span>
              )}
              {!readOnly && messages.length > 1 && (
                <button
                  type="button"
                  className="btn btn-small btn-ghost"
                  onClick={() => onChange(messages.filter((_, j) => j !== i))}
                  aria-label={`Remove message ${i + 1}`}
                >
                  Remove
                </button>
              )}
            </div>
            <label className="sr-only" htmlFor={textId}>
              Content of message {i + 1} ({m.role})
            </label>
            <textarea
              id={textId}
              className="mono"
              rows={Math.min(12, Math.max(3, m.text.split("\n").length + 1))}
              value={m.text}
              readOnly={readOnly}
              placeholder={
                m.role === "system" ? "You are a helpful assistant." : "Use {{variable}} placeholders"
              }
              onChange={(e) => update(i, { text: e.target.value })}
            />
          </div>
        );
      })}
      {!readOnly && (
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            onChange([
              ...messages,
              {
                role: messages[messages.length - 1]?.role === "user" ? "assistant" : "user",
                text: "",
                otherParts: [],
              },
            ])
          }
        >
          Add message
        </button>
      )}
    </fieldset>
  );
}

export function ModelSelect({
  value,
  onChange,
  id,
}: {
  value: string;
  onChange: (slug: string) => void;
  id?: string;
}) {
  const models = useModels();
  const ownId = useId();
  const selectId = id ?? ownId;
  if (models.isError) return <ErrorMessage error={models.error} title="Models could not be loaded" />;
  const list = models.data ?? [];
  const providers = [...new Set(list.map((m) => m.provider))];
  const known = list.some((m) => m.slug === value);
  return (
    <div className="field">
      <label htmlFor={selectId}>Model</label>
      <select
        id={selectId}
        value={value}
        disabled={models.isPending}
        onChange={(e) => onChange(e.target.value)}
      >
        {models.isPending && <option value={value}>Loading models…</option>}
        {!models.isPending && !known && <option value={value}>{value || "Choose a model"}</option>}
        {providers.map((p) => (
          <optgroup key={p} label={p}>
            {list
              .filter((m) => m.provider === p)
              .map((m) => (
                <option key={m.slug} value={m.slug}>
                  {m.display_name} ({m.slug}){m.deprecated ? " — deprecated" : ""}
                </option>
              ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

export function ParamsEditor({
  value,
  onChange,
  errors,
}: {
  value: ParamsForm;
  onChange: (p: ParamsForm) => void;
  errors: Partial<Record<keyof ParamsForm, string>>;
}) {
  const base = useId();
  const field = (
    key: keyof ParamsForm,
    label: string,
    hint: string,
    inputMode: "decimal" | "numeric" | "text",
  ) => {
    const id = `${base}-${key}`;
    const err = errors[key];
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          inputMode={inputMode}
          value={value[key]}
          placeholder={hint}
          aria-invalid={err ? true : undefined}
          aria-describedby={err ? `${id}-err` : undefined}
          onChange={(e) => onChange({ ...value, [key]: e.target.value })}
        />
        {err && (
          <span className="field-error" id={`${id}-err`}>
            {err}
          </span>
        )}
      </div>
    );
  };
  return (
    <fieldset className="params-grid">
      <legend>Parameters</legend>
      {field("temperature", "Temperature", "default (0–2)", "decimal")}
      {field("max_tokens", "Max tokens", "default", "numeric")}
      {field("top_p", "Top p", "default (0–1)", "decimal")}
      {field("stop", "Stop sequences", "comma-separated", "text")}
    </fieldset>
  );
}

export function VariablesForm({
  names,
  values,
  onChange,
}: {
  names: string[];
  values: Record<string, string>;
  onChange: (v: Record<string, string>) => void;
}) {
  const base = useId();
  if (names.length === 0) {
    return (
      <fieldset className="variables">
        <legend>Variables</legend>
        <p className="muted small">
          No variables. Write <code>{"{{name}}"}</code> in a message to add one.
        </p>
      </fieldset>
    );
  }
  return (
    <fieldset className="variables">
      <legend>Variables</legend>
      {names.map((n) => {
        const id = `${base}-${n}`;
        return (
          <div className="field" key={n}>
            <label htmlFor={id} className="mono">
              {n}
            </label>
            <textarea
              id={id}
              rows={1}
              value={values[n] ?? ""}
              onChange={(e) => onChange({ ...values, [n]: e.target.value })}
            />
          </div>
        );
      })}
    </fieldset>
  );
}

/** A read-only view of a version's or an execution's messages. */
export function MessagesView({ messages }: { messages: Message[] }) {
  return (
    <ol className="messages-view">
      {toEditable(messages).map((m, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: read-only list in a fixed order
        <li key={i} className={`message-view message-${m.role}`}>
          <span className="message-role">{m.role}</span>
          <pre className="message-text">{m.text}</pre>
          {m.otherParts.map((p, j) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: read-only list in a fixed order
            <pre key={j} className="message-part muted small">
              {JSON.stringify(p)}
            </pre>
          ))}
        </li>
      ))}
    </ol>
  );
}
