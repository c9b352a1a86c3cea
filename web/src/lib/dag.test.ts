import { describe, expect, it } from "vitest";
import { cleanEdges, fitLabel, layerDag, layoutDag, neighbours, orderLayers } from "./dag";

const e = (from: string, to: string) => ({ from, to });

describe("layerDag", () => {
  it("puts parallel roots in column 0 and their join after them", () => {
    const { layers, level, cyclic } = layerDag(["a", "b", "join"], [e("a", "join"), e("b", "join")]);
    expect(layers).toEqual([["a", "b"], ["join"]]);
    expect(level.get("join")).toBe(1);
    expect(cyclic).toEqual([]);
  });

  it("places a step one column after its deepest dependency (longest path), not its shallowest", () => {
    // a → b → c, and a → c directly: c still waits for b
    const { layers } = layerDag(["a", "b", "c"], [e("a", "b"), e("b", "c"), e("a", "c")]);
    expect(layers).toEqual([["a"], ["b"], ["c"]]);
  });

  it("keeps the definition order within a column and does not depend on the edge order", () => {
    const ids = ["x", "y", "z", "w"];
    const edges = [e("x", "w"), e("z", "w"), e("y", "w")];
    expect(layerDag(ids, edges).layers).toEqual([["x", "y", "z"], ["w"]]);
    expect(layerDag(ids, [...edges].reverse()).layers).toEqual([["x", "y", "z"], ["w"]]);
  });

  it("ignores self-loops, duplicate edges and edges to unknown steps", () => {
    const edges = [e("a", "a"), e("a", "b"), e("a", "b"), e("ghost", "b"), e("b", "nowhere")];
    expect(cleanEdges(["a", "b"], edges)).toEqual([e("a", "b")]);
    expect(layerDag(["a", "b"], edges).layers).toEqual([["a"], ["b"]]);
  });

  it("puts the steps of a cycle, and those after it, in a last column and names them", () => {
    const { layers, cyclic } = layerDag(
      ["start", "a", "b", "after"],
      [e("start", "a"), e("a", "b"), e("b", "a"), e("b", "after")],
    );
    expect(cyclic).toEqual(["a", "b", "after"]);
    expect(layers).toEqual([["start"], ["a", "b", "after"]]);
  });

  it("handles an empty graph", () => {
    expect(layerDag([], [])).toEqual({ layers: [], level: new Map(), cyclic: [] });
  });
});

describe("orderLayers", () => {
  it("orders a column by its dependencies' positions, so edges do not cross", () => {
    // a → d and b → c: given as [c, d], drawn as [d, c] so both edges stay straight
    const edges = [e("a", "d"), e("b", "c")];
    const { layers } = layerDag(["a", "b", "c", "d"], edges);
    expect(layers[1]).toEqual(["c", "d"]);
    expect(orderLayers(layers, edges)).toEqual([
      ["a", "b"],
      ["d", "c"],
    ]);
  });
});

describe("layoutDag", () => {
  const opts = { nodeWidth: 100, nodeHeight: 40, columnGap: 50, rowGap: 10, padding: 5 };

  it("places columns left to right and centres a short column on the tallest", () => {
    const l = layoutDag(["a", "b", "join"], [e("a", "join"), e("b", "join")], opts);
    expect(l.width).toBe(5 + 100 + 50 + 100 + 5);
    expect(l.height).toBe(5 + 40 + 10 + 40 + 5);
    const at = Object.fromEntries(l.nodes.map((n) => [n.id, n]));
    expect(at.a).toMatchObject({ x: 5, y: 5, column: 0, row: 0 });
    expect(at.b).toMatchObject({ x: 5, y: 55, column: 0, row: 1 });
    expect(at.join).toMatchObject({ x: 155, y: 30, column: 1 });
  });

  it("draws each edge from the source's right middle to the target's left middle", () => {
    const l = layoutDag(["a", "b"], [e("a", "b")], opts);
    expect(l.edges).toHaveLength(1);
    expect(l.edges[0]).toMatchObject({ from: "a", to: "b", backward: false });
    expect(l.edges[0]?.path).toBe("M 105 25 C 130 25, 130 25, 155 25");
  });

  it("spreads the edges into a join down its side, in the order of their sources", () => {
    const l = layoutDag(["a", "b", "join"], [e("b", "join"), e("a", "join")], opts);
    const end = (from: string) =>
      l.edges
        .find((x) => x.from === from)
        ?.path.split(", ")
        .at(-1);
    // join is at y 30, 40 high: ports at 1/3 and 2/3 of its height; a (above) takes the upper one
    expect(end("a")).toBe("155 43.3");
    expect(end("b")).toBe("155 56.7");
  });

  it("marks an edge that cannot point right (a cycle) as backward", () => {
    const l = layoutDag(["a", "b"], [e("a", "b"), e("b", "a")], opts);
    expect(l.cyclic).toEqual(["a", "b"]);
    expect(l.edges.every((x) => x.backward)).toBe(true);
  });

  it("is empty for no steps", () => {
    expect(layoutDag([], [], opts)).toMatchObject({ width: 0, height: 0, nodes: [], edges: [] });
  });
});

describe("helpers", () => {
  it("lists a step's dependencies and dependants", () => {
    expect(neighbours("b", [e("a", "b"), e("b", "c"), e("x", "b")])).toEqual({
      after: ["a", "x"],
      before: ["c"],
    });
  });

  it("cuts long labels with an ellipsis", () => {
    expect(fitLabel("short", 10)).toBe("short");
    expect(fitLabel("a_very_long_step_identifier", 10)).toBe("a_very_lo…");
  });
});
