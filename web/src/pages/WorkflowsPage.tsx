import { useEffect, useId, useState } from "react";
import { Link, useSearchParams } from "wouter";
import { useWorkflowList } from "../api/queries";
import { Can } from "../auth";
import { PageHeader } from "../components/PageHeader";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatRelative } from "../lib/format";

export function WorkflowsPage() {
  const [params, setParams] = useSearchParams();
  const search = params.get("q") ?? "";
  const [text, setText] = useState(search);
  const searchId = useId();
  useEffect(() => {
    const t = setTimeout(() => {
      if (text !== search) setParams(text ? { q: text } : {}, { replace: true });
    }, 250);
    return () => clearTimeout(t);
  }, [text, search, setParams]);
  const list = useWorkflowList(search);
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <>
      <PageHeader
        title="Workflows"
        description="Prompts and transforms wired into a graph: independent steps run in parallel, each step's output feeds the next."
        actions={
          <Can permission="prompts:write">
            <Link href="/workflows/new" className="btn btn-primary">
              New workflow
            </Link>
          </Can>
        }
      />
      <div className="toolbar">
        <label htmlFor={searchId} className="sr-only">
          Search workflows
        </label>
        <input
          id={searchId}
          type="search"
          className="search"
          placeholder="Search by name"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        {list.isFetching && !list.isPending && <span className="muted small">Updating…</span>}
      </div>
      {list.isPending ? (
        <Loading label="Loading workflows…" />
      ) : list.isError ? (
        <ErrorMessage
          error={list.error}
          title="Workflows could not be loaded"
          onRetry={() => void list.refetch()}
        />
      ) : rows.length === 0 ? (
        <EmptyState title={search ? `No workflows match “${search}”` : "No workflows yet"}>
          {!search && (
            <Can permission="prompts:write" fallback={<p>Workflows created by members will show up here.</p>}>
              <p>
                <Link href="/workflows/new">Create a workflow</Link> from saved prompts and built-in
                transforms.
              </p>
            </Can>
          )}
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Steps</th>
                <th scope="col">Inputs</th>
                <th scope="col" className="num">
                  Version
                </th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link href={`/workflows/${w.id}`} className="strong">
                      {w.name}
                    </Link>
                    {w.description && <div className="muted small truncate">{w.description}</div>}
                  </td>
                  <td>
                    {w.definition.steps.length}{" "}
                    <span className="muted small">
                      ({w.definition.steps.filter((s) => s.type === "prompt").length} prompt,{" "}
                      {w.definition.steps.filter((s) => s.type === "transform").length} transform)
                    </span>
                  </td>
                  <td className="mono small">
                    {(w.definition.inputs ?? []).map((i) => i.name).join(", ") || (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num">v{w.version}</td>
                  <td className="nowrap" title={w.updated_at}>
                    {formatRelative(w.updated_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <button
          type="button"
          className="btn load-more"
          onClick={() => void list.fetchNextPage()}
          disabled={list.isFetchingNextPage}
        >
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}
