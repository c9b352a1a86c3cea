import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useState } from "react";
import { api } from "../api/client";
import { keys, useOrganization } from "../api/queries";
import type { Organization, Tier } from "../api/types";
import { useCan, useMe } from "../auth";
import { NameField } from "../components/NameField";
import { PageHeader } from "../components/PageHeader";
import { ErrorMessage, Loading, Notice } from "../components/states";
import { formatDateTime } from "../lib/format";

const TIERS: Tier[] = ["free", "pro", "enterprise"];

export function SettingsPage() {
  const me = useMe();
  const org = useOrganization();
  return (
    <>
      <PageHeader title="Settings" description="This organization and your account." />
      <div className="two-col">
        <section className="panel" aria-labelledby="org-title">
          <h2 id="org-title">Organization</h2>
          {org.isPending ? (
            <Loading />
          ) : org.isError ? (
            <ErrorMessage
              error={org.error}
              title="The organization could not be loaded"
              onRetry={() => void org.refetch()}
            />
          ) : (
            <OrgSettings org={org.data} />
          )}
        </section>
        <section className="panel" aria-labelledby="account-title">
          <h2 id="account-title">Your account</h2>
          <dl className="facts">
            <div>
              <dt>Name</dt>
              <dd>{me.user?.name || "—"}</dd>
            </div>
            <div>
              <dt>Email</dt>
              <dd>{me.user?.email}</dd>
            </div>
            <div>
              <dt>Role here</dt>
              <dd>
                <span className="role-pill">{me.role}</span>
              </dd>
            </div>
            <div>
              <dt>Permissions</dt>
              <dd>
                {me.permissions.map((p) => (
                  <span key={p} className="tag mono">
                    {p}
                  </span>
                ))}
              </dd>
            </div>
          </dl>
        </section>
      </div>
    </>
  );
}

function OrgSettings({ org }: { org: Organization }) {
  const canManage = useCan("org:manage");
  const canBill = useCan("billing:manage");
  const qc = useQueryClient();
  const [name, setName] = useState(org.name);
  const [tier, setTier] = useState<Tier>(org.tier);
  useEffect(() => {
    setName(org.name);
    setTier(org.tier);
  }, [org.name, org.tier]);
  const ids = { tier: useId() };
  const save = useMutation({
    mutationFn: () =>
      api<Organization>("/api/v1/organization", {
        method: "PATCH",
        body: { ...(name !== org.name ? { name } : {}), ...(canBill && tier !== org.tier ? { tier } : {}) },
      }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: keys.organization });
      // The org switcher shows the name from /me.
      await qc.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const facts = (
    <dl className="facts">
      <div>
        <dt>Slug</dt>
        <dd className="mono">{org.slug}</dd>
      </div>
      <div>
        <dt>Id</dt>
        <dd className="mono small">{org.id}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDateTime(org.created_at)}</dd>
      </div>
    </dl>
  );
  if (!canManage) {
    return (
      <>
        <dl className="facts">
          <div>
            <dt>Name</dt>
            <dd>{org.name}</dd>
          </div>
          <div>
            <dt>Tier</dt>
            <dd>{org.tier}</dd>
          </div>
        </dl>
        {facts}
      </>
    );
  }
  return (
    <form className="stack" onSubmit={submit}>
      <NameField value={name} onChange={setName} />
      <div className="field">
        <label htmlFor={ids.tier}>Tier</label>
        <select
          id={ids.tier}
          value={tier}
          disabled={!canBill}
          onChange={(e) => setTier(e.target.value as Tier)}
        >
          {TIERS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        {!canBill && <span className="muted small">Only owners change the tier.</span>}
      </div>
      {facts}
      <ErrorMessage error={save.error} title="The organization was not saved" />
      {save.isSuccess && <Notice>Saved.</Notice>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
