import { Fragment, useMemo, useState } from "react";
import type { MessageInput, Params } from "../api/types";
import {
  type EditableMessage,
  extractVariables,
  formToParams,
  type ParamsForm,
  toApiMessages,
} from "../lib/template";
import { MessagesEditor, ModelSelect, ParamsEditor } from "./editors";

export interface TemplateValue {
  messages: EditableMessage[];
  model: string;
  params: ParamsForm;
}

/** The template half of the create and edit forms: messages, model and parameters. */
export function TemplateFields({
  value,
  onChange,
}: {
  value: TemplateValue;
  onChange: (v: TemplateValue) => void;
}) {
  const { errors } = formToParams(value.params);
  const names = useMemo(() => extractVariables(value.messages), [value.messages]);
  return (
    <>
      <MessagesEditor messages={value.messages} onChange={(messages) => onChange({ ...value, messages })} />
      <p className="muted small" aria-live="polite">
        {names.length === 0 ? (
          <>
            No variables. Write <code>{"{{name}}"}</code> to add one.
          </>
        ) : (
          <>
            Variables:{" "}
            {names.map((n, i) => (
              <Fragment key={n}>
                {i > 0 && ", "}
                <code>{n}</code>
              </Fragment>
            ))}
          </>
        )}
      </p>
      <ModelSelect value={value.model} onChange={(model) => onChange({ ...value, model })} />
      <ParamsEditor
        value={value.params}
        onChange={(params) => onChange({ ...value, params })}
        errors={errors}
      />
    </>
  );
}

export function useTemplateState(initial: TemplateValue) {
  const [value, setValue] = useState(initial);
  const { params, errors } = formToParams(value.params);
  const body: { messages: MessageInput[]; model: string; params: Params } = {
    messages: toApiMessages(value.messages),
    model: value.model,
    params,
  };
  return { value, setValue, body, valid: Object.keys(errors).length === 0 };
}
