/**
 * Laying out a workflow's DAG for drawing: steps in columns by depth (the longest path from a root, so a
 * step always sits to the right of everything it waits for), ordered within a column to keep edges short,
 * and edges as curves from a step's right side to its dependant's left side. Pure, so it is unit-tested
 * and the component only draws.
 */

export interface DagEdge {
  from: string;
  to: string;
}

export interface Layering {
  /** columns, left to right; within one, the order the steps were given in */
  layers: string[][];
  level: Map<string, number>;
  /** steps on a cycle (or after one): a definition the API will refuse; drawn in a last column */
  cyclic: string[];
}

/** Edges between known, distinct steps, each once. */
export function cleanEdges(ids: readonly string[], edges: readonly DagEdge[]): DagEdge[] {
  const known = new Set(ids);
  const seen = new Set<string>();
  const out: DagEdge[] = [];
  for (const e of edges) {
    const key = `${e.from}\u0000${e.to}`;
    if (e.from === e.to || !known.has(e.from) || !known.has(e.to) || seen.has(key)) continue;
    seen.add(key);
    out.push({ from: e.from, to: e.to });
  }
  return out;
}

/**
 * Topological layers by longest path (Kahn's algorithm): roots are column 0, every other step one column
 * after its deepest dependency. Steps that never become ready (a cycle, or downstream of one) go in one
 * extra column at the end, listed in `cyclic`.
 */
export function layerDag(ids: readonly string[], edges: readonly DagEdge[]): Layering {
  const unique = [...new Set(ids)];
  const clean = cleanEdges(unique, edges);
  const indegree = new Map(unique.map((id) => [id, 0]));
  const out = new Map<string, string[]>(unique.map((id) => [id, []]));
  for (const e of clean) {
    indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
    out.get(e.from)?.push(e.to);
  }
  const level = new Map<string, number>();
  const queue = unique.filter((id) => indegree.get(id) === 0);
  for (const id of queue) level.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    const l = level.get(id) ?? 0;
    for (const next of out.get(id) ?? []) {
      level.set(next, Math.max(level.get(next) ?? 0, l + 1));
      const d = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, d);
      if (d === 0) queue.push(next);
    }
  }
  const placed = new Set(queue);
  const cyclic = unique.filter((id) => !placed.has(id));
  const depth = queue.reduce((m, id) => Math.max(m, (level.get(id) ?? 0) + 1), 0);
  for (const id of cyclic) level.set(id, depth);
  const layers: string[][] = [];
  for (const id of unique) {
    const l = level.get(id) ?? 0;
    while (layers.length <= l) layers.push([]);
    layers[l]?.push(id);
  }
  return { layers, level, cyclic };
}

/**
 * Order each column by the mean position of its step's dependencies in earlier columns (the barycenter
 * heuristic, one left-to-right sweep), which removes most crossings in the small DAGs workflows are.
 * Ties keep the given order.
 */
export function orderLayers(layers: readonly string[][], edges: readonly DagEdge[]): string[][] {
  const preds = new Map<string, string[]>();
  for (const e of edges) preds.set(e.to, [...(preds.get(e.to) ?? []), e.from]);
  const position = new Map<string, number>();
  const out: string[][] = [];
  layers.forEach((layer, li) => {
    const given = new Map(layer.map((id, i) => [id, i]));
    const center = (id: string) => {
      const ps = (preds.get(id) ?? [])
        .map((p) => position.get(p))
        .filter((p): p is number => p !== undefined);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : null;
    };
    const ordered =
      li === 0
        ? [...layer]
        : [...layer].sort((a, b) => {
            const ca = center(a);
            const cb = center(b);
            if (ca !== null && cb !== null && ca !== cb) return ca - cb;
            return (given.get(a) ?? 0) - (given.get(b) ?? 0);
          });
    // Positions on one scale across columns of different heights: centred like the drawing.
    ordered.forEach((id, i) => {
      position.set(id, i - (ordered.length - 1) / 2);
    });
    out.push(ordered);
  });
  return out;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  columnGap: number;
  rowGap: number;
  padding: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = {
  nodeWidth: 184,
  nodeHeight: 58,
  columnGap: 64,
  rowGap: 18,
  padding: 8,
};

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  column: number;
  row: number;
}

export interface PlacedEdge extends DagEdge {
  /** an SVG path: a cubic curve from the source's right side to the target's left side */
  path: string;
  /** true when the edge points left or stays in its column (a cycle) */
  backward: boolean;
}

export interface DagLayout {
  width: number;
  height: number;
  columns: string[][];
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  cyclic: string[];
}

const r = (n: number) => Math.round(n * 10) / 10;

/** Positions for every step and a path for every edge; columns are centred vertically on the tallest. */
export function layoutDag(
  ids: readonly string[],
  edges: readonly DagEdge[],
  opts: Partial<LayoutOptions> = {},
): DagLayout {
  const o = { ...DEFAULT_LAYOUT, ...opts };
  const clean = cleanEdges(ids, edges);
  const { layers, cyclic } = layerDag(ids, clean);
  const columns = orderLayers(layers, clean);
  const rows = columns.reduce((m, c) => Math.max(m, c.length), 0);
  const rowStep = o.nodeHeight + o.rowGap;
  const height = rows === 0 ? 0 : rows * o.nodeHeight + (rows - 1) * o.rowGap + 2 * o.padding;
  const width =
    columns.length === 0
      ? 0
      : columns.length * o.nodeWidth + (columns.length - 1) * o.columnGap + 2 * o.padding;
  const nodes: PlacedNode[] = [];
  const at = new Map<string, PlacedNode>();
  columns.forEach((col, ci) => {
    const offset = ((rows - col.length) * rowStep) / 2;
    col.forEach((id, ri) => {
      const n = {
        id,
        column: ci,
        row: ri,
        x: o.padding + ci * (o.nodeWidth + o.columnGap),
        y: r(o.padding + offset + ri * rowStep),
      };
      nodes.push(n);
      at.set(id, n);
    });
  });
  // Ports: a step's incoming edges end at points spread down its left side, in the order of their sources'
  // heights (outgoing edges likewise on its right side), so arrows into a join stay apart.
  const port = (edgesAt: DagEdge[], other: (e: DagEdge) => string) => {
    const sorted = [...edgesAt].sort((a, b) => (at.get(other(a))?.y ?? 0) - (at.get(other(b))?.y ?? 0));
    return new Map(sorted.map((e, i) => [e, (o.nodeHeight * (i + 1)) / (sorted.length + 1)]));
  };
  const inPort = new Map<DagEdge, number>();
  const outPort = new Map<DagEdge, number>();
  for (const n of nodes) {
    for (const [e, y] of port(
      clean.filter((e) => e.to === n.id),
      (e) => e.from,
    ))
      inPort.set(e, y);
    for (const [e, y] of port(
      clean.filter((e) => e.from === n.id),
      (e) => e.to,
    ))
      outPort.set(e, y);
  }
  const placed: PlacedEdge[] = clean.map((e) => {
    const a = at.get(e.from) as PlacedNode;
    const b = at.get(e.to) as PlacedNode;
    const x1 = a.x + o.nodeWidth;
    const y1 = r(a.y + (outPort.get(e) ?? o.nodeHeight / 2));
    const x2 = b.x;
    const y2 = r(b.y + (inPort.get(e) ?? o.nodeHeight / 2));
    const backward = b.column <= a.column;
    if (backward) {
      // Around the top of the drawing: rare (an invalid definition), but still visible.
      const top = 1;
      return {
        ...e,
        backward,
        path: `M ${x1} ${y1} C ${x1 + 24} ${top}, ${x2 - 24} ${top}, ${x2} ${y2}`,
      };
    }
    const mx = r((x1 + x2) / 2);
    return { ...e, backward, path: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}` };
  });
  return { width, height, columns, nodes, edges: placed, cyclic };
}

/** The steps a step waits for, and the ones waiting for it, in the given order. */
export function neighbours(id: string, edges: readonly DagEdge[]): { after: string[]; before: string[] } {
  return {
    after: edges.filter((e) => e.to === id).map((e) => e.from),
    before: edges.filter((e) => e.from === id).map((e) => e.to),
  };
}

/** Cut a label to fit a node, with an ellipsis: SVG text does not wrap. */
export function fitLabel(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
