import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api } from "../api/client";
import { keys, useApiKeys } from "../api/queries";
import type { ApiKey, Permission } from "../api/types";
import { useCan, useMe } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import { CopyButton } from "../components/CopyButton";
import { PageHeader } from "../components/PageHeader";
import { StatusBadge } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading, NoAccess } from "../components/states";
import { formatDateTime, formatRelative } from "../lib/format";

/** What a key gets when no scopes are named (the server's defaultKeyScopes): a member's everyday set. */
const DEFAULT_SCOPES: Permission[] = [
  "prompts:read",
  "prompts:write",
  "executions:read",
  "executions:run",
  "models:read",
];

function keyStatus(k: ApiKey, now = Date.now()): "active" | "revoked" | "expired" {
  if (k.revoked_at) return "revoked";
  if (k.expires_at && new Date(k.expires_at).getTime() <= now) return "expired";
  return "active";
}

export function ApiKeysPage() {
  const canRead = useCan("keys:read");
  const canManage = useCan("keys:manage");
  const list = useApiKeys(canRead);
  const qc = useQueryClient();
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) =>
      api<ApiKey>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.apiKeys }),
  });
  if (!canRead) {
    return (
      <>
        <PageHeader title="API keys" />
        <NoAccess what="see API keys" />
      </>
    );
  }
  const data = list.data ?? [];
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Keys authenticate programs: <code>Authorization: Bearer lk_…</code>. Each belongs to this
            organization and carries scopes.
          </>
        }
      />
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {canManage && !created && <CreateKeyForm onCreated={setCreated} />}
      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {list.isPending ? (
          <Loading label="Loading keys…" />
        ) : list.isError ? (
          <ErrorMessage
            error={list.error}
            title="Keys could not be loaded"
            onRetry={() => void list.refetch()}
          />
        ) : data.length === 0 ? (
          <EmptyState title="No API keys yet" />
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Created</th>
                  {canManage && (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {data.map((k) => {
                  const status = keyStatus(k);
                  return (
                    <tr key={k.id}>
                      <td className="strong">{k.name}</td>
                      <td className="mono small">{k.prefix}…</td>
                      <td className="small">
                        {k.scopes.map((s) => (
                          <span key={s} className="tag">
                            {s}
                          </span>
                        ))}
                      </td>
                      <td>
                        <StatusBadge status={status} />
                        {k.expires_at && status === "active" && (
                          <div className="muted small">expires {formatDateTime(k.expires_at)}</div>
                        )}
                      </td>
                      <td className="nowrap" title={k.last_used_at ?? undefined}>
                        {formatRelative(k.last_used_at)}
                      </td>
                      <td className="nowrap" title={k.created_at}>
                        {formatRelative(k.created_at)}
                      </td>
                      {canManage && (
                        <td className="actions">
                          {status !== "revoked" && (
                            <ConfirmButton
                              label="Revoke"
                              accessibleLabel={`Revoke ${k.name}`}
                              confirmLabel="Revoke key"
                              question="Programs using it will stop working."
                              pending={revoke.isPending && revoke.variables === k.id}
                              onConfirm={() => revoke.mutate(k.id)}
                            />
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <ErrorMessage error={revoke.error} title="The key was not revoked" />
      </section>
    </>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: ApiKey & { key: string }) => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const available = me.permissions;
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Permission[]>(DEFAULT_SCOPES.filter((s) => available.includes(s)));
  const [expires, setExpires] = useState("");
  const ids = { name: useId(), expires: useId(), scopes: useId() };
  const create = useMutation({
    mutationFn: () =>
      api<ApiKey & { key: string }>("/api/v1/api-keys", {
        body: {
          name,
          scopes,
          // A date input means the end of that day, local time.
          ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
        },
      }),
    onSuccess: (k) => {
      setName("");
      setExpires("");
      void qc.invalidateQueries({ queryKey: keys.apiKeys });
      onCreated(k);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <div className="row">
        <div className="field grow">
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            required
            maxLength={200}
            placeholder="e.g. production backend"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.expires}>Expires (optional)</label>
          <input id={ids.expires} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
      </div>
      <fieldset className="scopes">
        <legend>Scopes</legend>
        <p className="muted small">A key can do no more than you can. The defaults suit an application.</p>
        <div className="checkbox-grid">
          {available.map((p) => {
            const id = `${ids.scopes}-${p}`;
            return (
              <span key={p} className="checkbox">
                <input
                  id={id}
                  type="checkbox"
                  checked={scopes.includes(p)}
                  onChange={(e) =>
                    setScopes(e.target.checked ? [...scopes, p] : scopes.filter((s) => s !== p))
                  }
                />
                <label htmlFor={id} className="mono small">
                  {p}
                </label>
              </span>
            );
          })}
        </div>
      </fieldset>
      <ErrorMessage error={create.error} title="The key was not created" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending || scopes.length === 0}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}

/** The secret, once: it lives only in this component's props and is gone when the person clicks Done. */
function NewKey({ created, onDone }: { created: ApiKey & { key: string }; onDone: () => void }) {
  const id = useId();
  return (
    <section className="panel panel-highlight" aria-labelledby={`${id}-title`} data-testid="new-key">
      <h2 id={`${id}-title`}>Key “{created.name}” created</h2>
      <p>
        <strong>Copy it now.</strong> It is shown only this once; Lectern stores only a hash.
      </p>
      <div className="secret-row">
        <label htmlFor={id} className="sr-only">
          New API key
        </label>
        <input
          id={id}
          className="mono secret"
          readOnly
          value={created.key}
          onFocus={(e) => e.currentTarget.select()}
          data-testid="new-key-value"
        />
        <CopyButton text={created.key} />
      </div>
      <button type="button" className="btn btn-primary" onClick={onDone}>
        Done, I have copied it
      </button>
    </section>
  );
}
