import { Link } from "wouter";
import { useWorkflowList } from "../api/queries";
import { Can } from "../auth";
import { LoadMore } from "../components/LoadMore";
import { PageHeader } from "../components/PageHeader";
import { SearchToolbar, useUrlSearch } from "../components/SearchToolbar";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatRelative } from "../lib/format";

export function WorkflowsPage() {
  // Search as the person types, but not on every keystroke.
  const { search, text, setText } = useUrlSearch();
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
      <SearchToolbar
        label="Search workflows"
        placeholder="Search by name"
        value={text}
        onChange={setText}
        updating={list.isFetching && !list.isPending}
      />
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
      <LoadMore query={list} />
    </>
  );
}
