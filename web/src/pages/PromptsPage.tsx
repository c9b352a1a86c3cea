import { Link } from "wouter";
import { usePromptList } from "../api/queries";
import { Can } from "../auth";
import { LoadMore } from "../components/LoadMore";
import { PageHeader } from "../components/PageHeader";
import { SearchToolbar, useUrlSearch } from "../components/SearchToolbar";
import { LabelChip } from "../components/StatusBadge";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatRelative } from "../lib/format";

export function PromptsPage() {
  // Search as the person types, but not on every keystroke.
  const { search, text, setText } = useUrlSearch();
  const list = usePromptList(search);
  const prompts = list.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <>
      <PageHeader
        title="Prompts"
        description="Versioned prompt templates. Every edit is a new version; labels such as production point at one."
        actions={
          <Can permission="prompts:write">
            <Link href="/prompts/new" className="btn btn-primary">
              New prompt
            </Link>
          </Can>
        }
      />
      <SearchToolbar
        label="Search prompts"
        placeholder="Search by name or description"
        value={text}
        onChange={setText}
        updating={list.isFetching && !list.isPending}
      />
      {list.isPending ? (
        <Loading label="Loading prompts…" />
      ) : list.isError ? (
        <ErrorMessage
          error={list.error}
          title="Prompts could not be loaded"
          onRetry={() => void list.refetch()}
        />
      ) : prompts.length === 0 ? (
        <EmptyState title={search ? `No prompts match “${search}”` : "No prompts yet"}>
          {!search && (
            <Can permission="prompts:write" fallback={<p>Prompts created by members will show up here.</p>}>
              <p>
                <Link href="/prompts/new">Create your first prompt</Link>, or write one in the{" "}
                <Link href="/playground">playground</Link> and save it.
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
                <th scope="col">Labels</th>
                <th scope="col">Tags</th>
                <th scope="col" className="num">
                  Latest
                </th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {prompts.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link href={`/prompts/${p.id}`} className="strong">
                      {p.name}
                    </Link>
                    {p.description && <div className="muted small truncate">{p.description}</div>}
                  </td>
                  <td>
                    {Object.entries(p.labels).map(([l, v]) => (
                      <LabelChip key={l} label={l} version={v} />
                    ))}
                  </td>
                  <td>
                    {p.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </td>
                  <td className="num">{p.latest_version > 0 ? `v${p.latest_version}` : "—"}</td>
                  <td className="nowrap" title={p.updated_at}>
                    {formatRelative(p.updated_at)}
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
