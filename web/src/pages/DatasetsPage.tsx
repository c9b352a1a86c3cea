import { Link } from "wouter";
import { useDatasetList } from "../api/queries";
import { Can } from "../auth";
import { PageHeader } from "../components/PageHeader";
import { EmptyState, ErrorMessage, Loading } from "../components/states";
import { formatNumber, formatRelative } from "../lib/format";

export function DatasetsPage() {
  const list = useDatasetList();
  const rows = list.data ?? [];
  return (
    <>
      <PageHeader
        title="Datasets"
        description="Items to evaluate prompts on: variables for the template and, optionally, the expected output."
        actions={
          <>
            <Link href="/evaluations" className="btn">
              Evaluation runs
            </Link>
            <Can permission="prompts:write">
              <Link href="/datasets/new" className="btn btn-primary">
                New dataset
              </Link>
            </Can>
          </>
        }
      />
      {list.isPending ? (
        <Loading label="Loading datasets…" />
      ) : list.isError ? (
        <ErrorMessage
          error={list.error}
          title="Datasets could not be loaded"
          onRetry={() => void list.refetch()}
        />
      ) : rows.length === 0 ? (
        <EmptyState title="No datasets yet">
          <Can permission="prompts:write" fallback={<p>Datasets created by members will show up here.</p>}>
            <p>
              <Link href="/datasets/new">Upload a CSV or JSONL file</Link> to create the first one.
            </p>
          </Can>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Items
                </th>
                <th scope="col">State</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link href={`/datasets/${d.id}`} className="strong">
                      {d.name}
                    </Link>
                    {d.description && <div className="muted small truncate">{d.description}</div>}
                  </td>
                  <td className="num">{formatNumber(d.item_count)}</td>
                  <td>
                    {d.frozen ? (
                      <span
                        className="badge badge-muted"
                        title="Used by a run: its items can no longer change"
                      >
                        frozen
                      </span>
                    ) : (
                      <span className="badge badge-ok">editable</span>
                    )}
                  </td>
                  <td className="nowrap" title={d.updated_at}>
                    {formatRelative(d.updated_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
