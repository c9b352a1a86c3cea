import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api } from "../api/client";
import { keys, useMembers } from "../api/queries";
import { type Member, ROLES, type Role } from "../api/types";
import { useCan, useMe } from "../auth";
import { ConfirmButton } from "../components/ConfirmButton";
import { CopyButton } from "../components/CopyButton";
import { PageHeader } from "../components/PageHeader";
import { EmptyState, ErrorMessage, Loading, Notice } from "../components/states";
import { formatRelative } from "../lib/format";

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including members and billing",
  admin: "settings, models, providers, API keys, audit log",
  member: "write prompts and run models",
  viewer: "read only",
};

export function MembersPage() {
  const canManage = useCan("members:manage");
  const me = useMe();
  const members = useMembers();
  const qc = useQueryClient();
  const invalidate = () => qc.invalidateQueries({ queryKey: keys.members });
  const changeRole = useMutation({
    mutationFn: (v: { userId: string; role: Role }) =>
      api<Member>(`/api/v1/members/${encodeURIComponent(v.userId)}`, {
        method: "PATCH",
        body: { role: v.role },
      }),
    onSettled: invalidate,
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      api(`/api/v1/members/${encodeURIComponent(userId)}`, { method: "DELETE" }),
    onSuccess: invalidate,
  });
  const data = members.data ?? [];
  return (
    <>
      <PageHeader title="Members" description="People in this organization and their roles." />
      {canManage && <AddMemberForm />}
      <section className="panel" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        {members.isPending ? (
          <Loading label="Loading members…" />
        ) : members.isError ? (
          <ErrorMessage
            error={members.error}
            title="Members could not be loaded"
            onRetry={() => void members.refetch()}
          />
        ) : data.length === 0 ? (
          <EmptyState title="No members" />
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  {canManage && (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {data.map((m) => (
                  <tr key={m.user_id}>
                    <td className="strong">
                      {m.name || "—"}
                      {m.user_id === me.user?.id && <span className="muted small"> (you)</span>}
                    </td>
                    <td>{m.email}</td>
                    <td>
                      {canManage ? (
                        <>
                          <label className="sr-only" htmlFor={`role-${m.user_id}`}>
                            Role of {m.email}
                          </label>
                          <select
                            id={`role-${m.user_id}`}
                            value={
                              changeRole.isPending && changeRole.variables?.userId === m.user_id
                                ? changeRole.variables.role
                                : m.role
                            }
                            disabled={changeRole.isPending}
                            onChange={(e) =>
                              changeRole.mutate({ userId: m.user_id, role: e.target.value as Role })
                            }
                          >
                            {ROLES.map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        </>
                      ) : (
                        <span className="role-pill">{m.role}</span>
                      )}
                    </td>
                    <td className="nowrap" title={m.joined_at}>
                      {formatRelative(m.joined_at)}
                    </td>
                    {canManage && (
                      <td className="actions">
                        <ConfirmButton
                          label="Remove"
                          accessibleLabel={`Remove ${m.email}`}
                          confirmLabel="Remove member"
                          question="Their API keys here are revoked too."
                          pending={remove.isPending && remove.variables === m.user_id}
                          onConfirm={() => remove.mutate(m.user_id)}
                        />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <ErrorMessage error={changeRole.error} title="The role was not changed" />
        <ErrorMessage error={remove.error} title="The member was not removed" />
      </section>
      <section className="panel" aria-labelledby="roles-title">
        <h2 id="roles-title">Roles</h2>
        <dl className="facts">
          {ROLES.map((r) => (
            <div key={r}>
              <dt>{r}</dt>
              <dd>{ROLE_HELP[r]}</dd>
            </div>
          ))}
        </dl>
      </section>
    </>
  );
}

function AddMemberForm() {
  const qc = useQueryClient();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [password, setPassword] = useState("");
  const ids = { email: useId(), name: useId(), role: useId(), password: useId() };
  const add = useMutation({
    mutationFn: () =>
      api<Member>("/api/v1/members", {
        body: { email, role, ...(name ? { name } : {}), ...(password ? { password } : {}) },
      }),
    onSuccess: () => {
      setEmail("");
      setName("");
      setPassword("");
      void qc.invalidateQueries({ queryKey: keys.members });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  const added = add.data;
  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <p className="muted small">
        An existing user joins at once. A new email creates the user: set a password here, or leave it empty
        and Lectern generates one to hand over.
      </p>
      <div className="row">
        <div className="field grow">
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="field grow">
          <label htmlFor={ids.name}>Name (optional)</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor={ids.password}>Password for a new user (optional)</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="new-password"
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
      </div>
      <ErrorMessage error={add.error} title="The member was not added" />
      {added && (
        <Notice>
          Added {added.email} as {added.role}.
          {added.initial_password && (
            <span className="secret-row">
              Their generated password, shown only now:{" "}
              <code className="secret">{added.initial_password}</code>
              <CopyButton text={added.initial_password} />
            </span>
          )}
        </Notice>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add member"}
        </button>
      </div>
    </form>
  );
}
