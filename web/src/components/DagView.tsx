import { useId, useMemo } from "react";
import { type DagEdge, DEFAULT_LAYOUT, fitLabel, layoutDag, neighbours } from "../lib/dag";

export interface DagNode {
  id: string;
  type: string;
  /** what the step does: "Greeter v1", "uppercase" */
  detail?: string;
  /** a run's step status; none for a definition's preview */
  status?: string;
  /** the API reported a problem with this step */
  flagged?: boolean;
}

const STATUS_MARK: Record<string, string> = {
  succeeded: "✓",
  failed: "✗",
  running: "●",
  pending: "○",
  skipped: "↷",
  cancelled: "■",
};

/** "greet and shout", "a, b and c" */
function andList(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * A workflow's DAG: steps in columns by depth, edges drawn left to right from a step to each step that uses
 * its output. Plain SVG with classes (no style attributes, for the CSP). The drawing is hidden from
 * assistive technology; an ordered list says the same thing in words.
 */
export function DagView({
  nodes,
  edges,
  title = "Steps and their dependencies",
}: {
  nodes: DagNode[];
  edges: DagEdge[];
  title?: string;
}) {
  const base = useId();
  const captionId = `${base}-caption`;
  const arrowId = `${base}-arrow`.replace(/:/g, "");
  const layout = useMemo(
    () =>
      layoutDag(
        nodes.map((n) => n.id),
        edges,
      ),
    [nodes, edges],
  );
  const byId = useMemo(() => new Map(nodes.map((n) => [n.id, n])), [nodes]);
  if (nodes.length === 0) return null;
  const { nodeWidth: w, nodeHeight: h } = DEFAULT_LAYOUT;
  const columnOf = new Map(layout.nodes.map((n) => [n.id, n.column]));
  return (
    <figure className="dag" aria-labelledby={captionId} data-testid="dag">
      <figcaption id={captionId} className="dag-caption">
        <span className="strong">{title}</span>{" "}
        <span className="muted small">
          {nodes.length} step{nodes.length === 1 ? "" : "s"} in {layout.columns.length} column
          {layout.columns.length === 1 ? "" : "s"}: each step runs once every step pointing at it is done;
          steps in one column can run in parallel.
        </span>
      </figcaption>
      {layout.cyclic.length > 0 && (
        <p className="field-error">
          These steps wait on each other in a cycle and can never run: {andList(layout.cyclic)}.
        </p>
      )}
      <div className="dag-scroll">
        <svg
          className="dag-svg"
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          aria-hidden="true"
          focusable="false"
          data-testid="dag-svg"
        >
          <defs>
            <marker
              id={arrowId}
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" className="dag-arrow" />
            </marker>
          </defs>
          {layout.edges.map((e) => (
            <path
              key={`${e.from}->${e.to}`}
              d={e.path}
              className={`dag-edge dag-edge-${byId.get(e.from)?.status ?? "none"} ${e.backward ? "dag-edge-back" : ""}`}
              markerEnd={`url(#${arrowId})`}
              data-from={e.from}
              data-to={e.to}
            />
          ))}
          {layout.nodes.map((p) => {
            const n = byId.get(p.id) as DagNode;
            const status = n.status;
            return (
              <g
                key={p.id}
                transform={`translate(${p.x} ${p.y})`}
                className={`dag-node dag-node-${status ?? "none"} dag-type-${n.type}${n.flagged ? " dag-node-flagged" : ""}`}
                data-step={p.id}
              >
                <title>
                  {`${p.id} (${n.type}${n.detail ? `: ${n.detail}` : ""})${status ? `: ${status}` : ""}`}
                </title>
                <rect width={w} height={h} rx="7" ry="7" className="dag-box" />
                <rect width="4" height={h - 14} x="0" y="7" className="dag-stripe" />
                <text x="12" y="20" className="dag-id">
                  {fitLabel(p.id, 22)}
                </text>
                <text x="12" y="36" className="dag-detail">
                  {fitLabel(`${n.type}${n.detail && n.detail !== n.type ? ` · ${n.detail}` : ""}`, 28)}
                </text>
                {status && (
                  <text x="12" y="51" className="dag-status">
                    {`${STATUS_MARK[status] ?? "•"} ${status}`}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </div>
      <ol className="sr-only" aria-label={`${title}, in order`}>
        {layout.columns.flatMap((col) =>
          col.map((id) => {
            const n = byId.get(id) as DagNode;
            const { after } = neighbours(id, edges);
            const known = after.filter((a) => byId.has(a));
            return (
              <li key={id}>
                {`${id}: ${n.type}${n.detail && n.detail !== n.type ? ` (${n.detail})` : ""}`}
                {n.status ? `, ${n.status}` : ""}
                {n.flagged ? ", has a problem (listed below the form)" : ""}
                {`. Column ${(columnOf.get(id) ?? 0) + 1}; `}
                {known.length ? `runs after ${andList(known)}.` : "runs first."}
              </li>
            );
          }),
        )}
      </ol>
    </figure>
  );
}
