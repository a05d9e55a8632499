import { describe, expect, it } from "vitest";
import type { Agent, Message } from "@clustr/protocol";
import { buildGraph, CELL_GAP, edgeBends, layoutGraph, type GraphEdge, type NodeExtent, type Point } from "../src/index.js";
import { agent, message } from "./fixtures.js";

// A 26 px node with a label as wide as "claude · needs-input" beside it.
const EXTENT: NodeExtent = { left: 15, right: 134, up: 17, down: 17 };

/** Three leads with nine helpers each, three loose agents, and messages between several pairs. */
function thirty(): { agents: Agent[]; messages: Message[] } {
  const agents: Agent[] = [];
  for (const lead of ["l1", "l2", "l3"]) {
    agents.push(agent(lead));
    for (let i = 1; i <= 9; i++) agents.push(agent(`${lead}c${i}`, { parentId: lead, kind: "claude" }));
  }
  agents.push(agent("solo1"), agent("solo2"), agent("solo3"));
  const messages = [message(1, "l1", "l2"), message(2, "l1", "l2"), message(3, "l2c4", "solo1"), message(4, null, "l3")];
  return { agents, messages };
}

function box(p: Point): { x1: number; x2: number; y1: number; y2: number } {
  return { x1: p.x - EXTENT.left, x2: p.x + EXTENT.right, y1: p.y - EXTENT.up, y2: p.y + EXTENT.down };
}

function overlapping(positions: Map<string, Point>): string[] {
  const entries = [...positions.entries()];
  const found: string[] = [];
  entries.forEach(([a, pa], i) => {
    for (const [b, pb] of entries.slice(i + 1)) {
      const ba = box(pa);
      const bb = box(pb);
      if (ba.x1 < bb.x2 && bb.x1 < ba.x2 && ba.y1 < bb.y2 && bb.y1 < ba.y2) found.push(`${a}/${b}`);
    }
  });
  return found;
}

function bounds(positions: Map<string, Point>): { width: number; height: number } {
  const boxes = [...positions.values()].map(box);
  return {
    width: Math.max(...boxes.map((b) => b.x2)) - Math.min(...boxes.map((b) => b.x1)),
    height: Math.max(...boxes.map((b) => b.y2)) - Math.min(...boxes.map((b) => b.y1)),
  };
}

describe("layoutGraph", () => {
  const { agents, messages } = thirty();
  const graph = buildGraph(agents, messages);

  it("places every node, the user included, with no two label boxes overlapping", () => {
    for (const area of [{ width: 1000, height: 600 }, { width: 360, height: 380 }, { width: 2000, height: 200 }]) {
      const positions = layoutGraph(graph.nodes, graph.edges, EXTENT, area);
      expect([...positions.keys()].sort()).toEqual(graph.nodes.map((n) => n.id).sort());
      expect(overlapping(positions)).toEqual([]);
    }
  });

  it("puts each lead above its helpers and keeps families apart from each other", () => {
    const positions = layoutGraph(graph.nodes, graph.edges, EXTENT, { width: 1000, height: 600 });
    const at = (id: string) => positions.get(id) ?? { x: NaN, y: NaN };
    for (const lead of ["l1", "l2", "l3"]) {
      const helpers = agents.filter((a) => a.parentId === lead).map((a) => at(a.id));
      expect(Math.min(...helpers.map((p) => p.y))).toBeGreaterThan(at(lead).y);
      const xs = helpers.map((p) => p.x);
      // The lead sits over the middle of its helpers.
      expect(at(lead).x).toBeCloseTo((Math.min(...xs) + Math.max(...xs)) / 2, 5);
    }
    // Helpers of different leads never share a column span: families are separate blocks.
    const span = (lead: string) => {
      const xs = agents.filter((a) => a.parentId === lead).map((a) => at(a.id).x);
      return [Math.min(...xs), Math.max(...xs)] as const;
    };
    const [a, b] = [span("l1"), span("l2")];
    const sameRow = at("l1").y === at("l2").y;
    if (sameRow) expect(a[1] < b[0] || b[1] < a[0]).toBe(true);
  });

  it("shapes the drawing after the panel: wide for a wide panel, tall for a narrow one", () => {
    const wide = bounds(layoutGraph(graph.nodes, graph.edges, EXTENT, { width: 1000, height: 600 }));
    const narrow = bounds(layoutGraph(graph.nodes, graph.edges, EXTENT, { width: 360, height: 380 }));
    expect(wide.width / wide.height).toBeGreaterThan(1);
    expect(narrow.width / narrow.height).toBeLessThan(wide.width / wide.height);
    // Thirty agents fit a 1000x600 panel at a readable zoom (labels at least 80% of their size).
    expect(Math.min(1000 / wide.width, 600 / wide.height)).toBeGreaterThan(0.8);
    // And a phone-width panel still shows them at more than half size.
    expect(Math.min(360 / narrow.width, 380 / narrow.height)).toBeGreaterThan(0.5);
  });

  it("leaves at least the cell gap between neighbours", () => {
    const positions = layoutGraph(graph.nodes, graph.edges, EXTENT, { width: 1000, height: 600 });
    const points = [...positions.values()];
    for (const p of points) {
      for (const q of points) {
        if (p === q) continue;
        const apartX = Math.abs(p.x - q.x) >= EXTENT.left + EXTENT.right + CELL_GAP.x - 1e-6;
        const apartY = Math.abs(p.y - q.y) >= EXTENT.up + EXTENT.down + CELL_GAP.y - 1e-6;
        expect(apartX || apartY).toBe(true);
      }
    }
  });

  it("survives a parent loop and an empty graph", () => {
    const loop = buildGraph([agent("aaaa", { parentId: "bbbb" }), agent("bbbb", { parentId: "aaaa" })], []);
    const positions = layoutGraph(loop.nodes, loop.edges, EXTENT, { width: 500, height: 500 });
    expect([...positions.keys()].sort()).toEqual(["aaaa", "bbbb"]);
    expect(overlapping(positions)).toEqual([]);
    expect(layoutGraph([], [], EXTENT, { width: 500, height: 500 }).size).toBe(0);
  });
});

/**
 * The node symbols other than its ends that `edge` runs through, drawn as cytoscape draws it:
 * straight, or a quadratic curve whose control point is `bend` to the right of the midpoint.
 */
function symbolsCrossed(edge: GraphEdge, bend: number, positions: Map<string, Point>): string[] {
  const from = positions.get(edge.source);
  const to = positions.get(edge.target);
  if (!from || !to) throw new Error(`${edge.id} has an end without a position`);
  const length = Math.hypot(to.x - from.x, to.y - from.y);
  const control = { x: (from.x + to.x) / 2 - ((to.y - from.y) / length) * bend, y: (from.y + to.y) / 2 + ((to.x - from.x) / length) * bend };
  const half = EXTENT.left;
  const crossed = new Set<string>();
  for (let i = 1; i < 1000; i++) {
    const t = i / 1000;
    const x = (1 - t) ** 2 * from.x + 2 * t * (1 - t) * control.x + t ** 2 * to.x;
    const y = (1 - t) ** 2 * from.y + 2 * t * (1 - t) * control.y + t ** 2 * to.y;
    for (const [id, p] of positions) {
      if (id !== edge.source && id !== edge.target && Math.abs(x - p.x) <= half && Math.abs(y - p.y) <= half) crossed.add(id);
    }
  }
  return [...crossed];
}

const messageEdge = (source: string, target: string): GraphEdge => ({ id: `message:${source}:${target}`, source, target, type: "message", count: 1, width: 1 });

describe("edgeBends", () => {
  // A column, as layoutGraph draws a few agents without parents in a wide panel.
  const column = new Map<string, Point>([
    ["user", { x: 0, y: 0 }],
    ["lead", { x: 0, y: 60 }],
    ["helper-a", { x: 0, y: 120 }],
    ["helper-b", { x: 0, y: 180 }],
  ]);

  it("bends edges that would run through other nodes around them, and leaves the rest straight", () => {
    const edges = ["lead", "helper-a", "helper-b"].map((to) => messageEdge("user", to));
    // Straight, the user's messages to the helpers would read as a chain through the lead.
    expect(symbolsCrossed(edges[1] as GraphEdge, 0, column)).toEqual(["lead"]);
    expect(symbolsCrossed(edges[2] as GraphEdge, 0, column).sort()).toEqual(["helper-a", "lead"]);
    const bends = edgeBends(edges, column, EXTENT);
    expect(bends.has("message:user:lead")).toBe(false);
    for (const edge of edges.slice(1)) {
      expect(bends.get(edge.id), edge.id).not.toBe(0);
      expect(symbolsCrossed(edge, bends.get(edge.id) ?? 0, column), edge.id).toEqual([]);
    }
  });

  it("never draws the two directions between one pair on the same curve", () => {
    const there = messageEdge("user", "helper-b");
    const back = messageEdge("helper-b", "user");
    const bends = edgeBends([there, back], column, EXTENT);
    const forward = bends.get(there.id) ?? 0;
    const reverse = bends.get(back.id) ?? 0;
    // Seen from the other end, a curve's bend changes sign.
    expect(reverse).not.toBe(-forward);
    expect(symbolsCrossed(there, forward, column)).toEqual([]);
    expect(symbolsCrossed(back, reverse, column)).toEqual([]);
  });

  it("clears the nodes in the way of the thirty-agent layout's edges, or crosses fewer", () => {
    const { agents, messages } = thirty();
    // Messages along rows and columns of the grid as well as across it.
    messages.push(message(5, "l1c1", "l1c9"), message(6, "l1c9", "l1c1"), message(7, "solo1", "solo3"), message(8, null, "solo3"));
    const graph = buildGraph(agents, messages);
    for (const area of [{ width: 1000, height: 650 }, { width: 380, height: 700 }]) {
      const positions = layoutGraph(graph.nodes, graph.edges, EXTENT, area);
      const bends = edgeBends(graph.edges, positions, EXTENT);
      const crossed = graph.edges.map((e) => ({ id: e.id, straight: symbolsCrossed(e, 0, positions).length, drawn: symbolsCrossed(e, bends.get(e.id) ?? 0, positions).length }));
      // The check means something: straight, several edges run through nodes.
      expect(crossed.filter((c) => c.straight > 0).length).toBeGreaterThan(3);
      // Between opposite corners of a full family grid, any curve passes some helper: it
      // passes fewer than a straight line. Every other edge passes none.
      const corners = new Set(["message:l1c1:l1c9", "message:l1c9:l1c1"]);
      expect(crossed.filter((c) => !corners.has(c.id) && c.drawn > 0)).toEqual([]);
      for (const c of crossed.filter((c) => corners.has(c.id))) expect(c.drawn, c.id).toBeLessThanOrEqual(Math.max(0, c.straight - 1));
    }
  });

  it("leaves out edges whose ends have no position", () => {
    expect(edgeBends([messageEdge("user", "gone")], column, EXTENT).size).toBe(0);
  });
});
