import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { keys } from "../api/queries";
import type { PromptWithVersion } from "../api/types";
import { useCan } from "../auth";
import { DescriptionField } from "../components/DescriptionField";
import { NameField } from "../components/NameField";
import { PageHeader } from "../components/PageHeader";
import { ErrorMessage, NoAccess } from "../components/states";
import { TemplateFields, useTemplateState } from "../components/TemplateForm";
import { emptyParams } from "../lib/template";

export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

export function PromptNewPage() {
  const canWrite = useCan("prompts:write");
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [commit, setCommit] = useState("");
  const t = useTemplateState({
    messages: [
      { role: "system", text: "You are a helpful assistant.", otherParts: [] },
      { role: "user", text: "", otherParts: [] },
    ],
    model: "mock/echo",
    params: emptyParams,
  });
  const ids = { tags: useId(), commit: useId() };
  const create = useMutation({
    mutationFn: () =>
      api<PromptWithVersion>("/api/v1/prompts", {
        body: {
          name,
          ...(description ? { description } : {}),
          tags: parseTags(tags),
          version: { ...t.body, commit_message: commit || "First version" },
        },
      }),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: keys.prompts });
      navigate(`/prompts/${p.id}`);
    },
  });
  if (!canWrite) {
    return (
      <>
        <PageHeader title="New prompt" />
        <NoAccess what="create prompts" />
      </>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <PageHeader title="New prompt" description={<Link href="/prompts">← All prompts</Link>} />
      <form className="panel form" onSubmit={submit} aria-label="New prompt">
        <div className="row">
          <NameField value={name} onChange={setName} grow />
          <div className="field grow">
            <label htmlFor={ids.tags}>Tags</label>
            <input
              id={ids.tags}
              placeholder="comma-separated, e.g. support, email"
              value={tags}
              onChange={(e) => setTags(e.target.value)}
            />
          </div>
        </div>
        <DescriptionField value={description} onChange={setDescription} />
        <TemplateFields value={t.value} onChange={t.setValue} />
        <div className="field">
          <label htmlFor={ids.commit}>Commit message</label>
          <input
            id={ids.commit}
            placeholder="First version"
            value={commit}
            onChange={(e) => setCommit(e.target.value)}
          />
        </div>
        <ErrorMessage error={create.error} title="The prompt was not created" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!t.valid || create.isPending}>
            {create.isPending ? "Creating…" : "Create prompt"}
          </button>
          <Link href="/prompts" className="btn">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
