import type { Agent, AgentActivity, AgentKind, AgentStatus, Message } from "@clustr/protocol";

/** The id of the node that stands for the user, who sends messages from the dashboard. */
export const USER_NODE = "user";

/** A node of the agent graph. */
export interface GraphNode {
  id: string;
  label: string;
  kind: AgentKind | "user";
  status: AgentStatus | "user";
  activity: AgentActivity | null;
  /** Spawn depth: 0 for agents the user started (and the user), 1 for their children, ... */
  depth: number;
}

/** A parent link (parent -> child) or the messages sent from one end to the other. */
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  type: "parent" | "message";
  /** Messages sent this way (1 for a parent link). */
  count: number;
  /** Line width in pixels: grows with the count, slowly, so busy pairs stand out without hiding the rest. */
  width: number;
}

/** Width of a message edge carrying `count` messages. */
export function edgeWidth(count: number): number {
  return Math.min(9, 1 + 1.5 * Math.log2(Math.max(1, count)));
}

/**
 * Nodes and edges for the graph view: one node per agent (and one for the user once the user
 * has sent a message), parent links, and one message edge per sender -> recipient pair
 * weighted by the number of messages. Messages whose ends are no longer listed are left out.
 */
export function buildGraph(agents: readonly Agent[], messages: readonly Message[]): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const known = new Set(agents.map((a) => a.id));
  const parents = new Map(agents.map((a) => [a.id, a.parentId]));
  const depthOf = (id: string): number => {
    let depth = 0;
    const seen = new Set([id]);
    for (let p = parents.get(id) ?? null; p !== null && known.has(p) && !seen.has(p); p = parents.get(p) ?? null) {
      seen.add(p);
      depth++;
    }
    return depth;
  };
  const nodes: GraphNode[] = agents.map((a) => ({
    id: a.id,
    label: a.name,
    kind: a.kind,
    status: a.status,
    activity: a.status === "running" ? a.activity : null,
    depth: depthOf(a.id),
  }));
  const edges: GraphEdge[] = [];
  for (const a of agents) {
    if (a.parentId !== null && known.has(a.parentId)) {
      edges.push({ id: `parent:${a.parentId}:${a.id}`, source: a.parentId, target: a.id, type: "parent", count: 1, width: 1 });
    }
  }
  const counts = new Map<string, { source: string; target: string; count: number }>();
  for (const m of messages) {
    const source = m.from ?? USER_NODE;
    if ((m.from !== null && !known.has(m.from)) || !known.has(m.to)) continue;
    const key = `${source}\u0000${m.to}`;
    const pair = counts.get(key);
    if (pair) pair.count++;
    else counts.set(key, { source, target: m.to, count: 1 });
  }
  let userNode = false;
  for (const { source, target, count } of counts.values()) {
    if (source === USER_NODE) userNode = true;
    edges.push({ id: `message:${source}:${target}`, source, target, type: "message", count, width: edgeWidth(count) });
  }
  if (userNode) nodes.unshift({ id: USER_NODE, label: "user", kind: "user", status: "user", activity: null, depth: 0 });
  return { nodes, edges };
}

/** A point in the graph's model coordinates. */
export interface Point {
  x: number;
  y: number;
}

/**
 * How far the widest node reaches from its position, label included, in model units: every
 * node gets a cell this size, so no two labels can overlap whatever their text.
 */
export interface NodeExtent {
  left: number;
  right: number;
  up: number;
  down: number;
}

/** Room between cells, in model units: enough for an edge to pass between two labels. */
export const CELL_GAP = { x: 14, y: 12 } as const;

// A family block stands apart from its neighbours by this share of a cell.
const BLOCK_GAP = 0.5;

interface Block {
  /** The root drawn alone above its descendants, or null for the block of lone nodes. */
  root: string | null;
  members: string[];
}

interface Placed {
  block: Block;
  columns: number;
  /** The root takes the first cell of the grid instead of a row of its own. */
  inline: boolean;
  x: number;
  y: number;
}

// A root sits on a row of its own above its family unless putting it in the grid lets the
// drawing grow by more than this factor (in a narrow panel a row for one node costs too much).
const INLINE_ROOT_GAIN = 1.15;

/**
 * Positions for the graph view: each agent with descendants heads a block, its descendants in
 * a grid below it (breadth first, so children come before grandchildren; in a panel too narrow
 * for that, the head takes the grid's first cell), and agents without parent or children share
 * one block at the end. Blocks are packed in rows. The number of grid
 * columns and the row width are chosen so the whole drawing fits `area` at the largest zoom,
 * which keeps thirty agents readable in a narrow window as in a wide one. Every node gets a
 * cell of the same size (`extent` plus {@link CELL_GAP}), so labels never overlap.
 */
export function layoutGraph(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  extent: NodeExtent,
  area: { width: number; height: number },
): Map<string, Point> {
  const cellW = extent.left + extent.right + CELL_GAP.x;
  const cellH = extent.up + extent.down + CELL_GAP.y;
  const blocks = familyBlocks(nodes, edges);
  const widest = Math.max(1, ...blocks.map((b) => b.members.length + 1));
  const bestOf = (inline: boolean): { placed: Placed[]; scale: number } | null => {
    let best: { placed: Placed[]; scale: number } | null = null;
    for (let columns = 1; columns <= widest; columns++) {
      const sizes = blocks.map((b) => blockSize(b, columns, inline));
      const limits = new Set<number>();
      // Every row width at which the packing changes: the sums of runs of block widths.
      for (let i = 0; i < sizes.length; i++) {
        let sum = 0;
        for (let j = i; j < sizes.length; j++) {
          sum += (sizes[j]?.width ?? 0) + (j > i ? BLOCK_GAP : 0);
          limits.add(sum);
        }
      }
      for (const limit of limits) {
        const { placed, width, height } = packRows(blocks, sizes, columns, inline, limit);
        const scale = Math.min(area.width / (width * cellW), area.height / (height * cellH));
        // Ties keep the earlier arrangement: fewer columns, so families read top to bottom.
        if (!best || scale > best.scale + 1e-9) best = { placed, scale };
      }
    }
    return best;
  };
  const above = bestOf(false);
  const inline = bestOf(true);
  const best = inline && (!above || inline.scale > above.scale * INLINE_ROOT_GAIN) ? inline : above;
  const positions = new Map<string, Point>();
  for (const { block, columns, inline: rootInGrid, x, y } of best?.placed ?? []) {
    const width = blockSize(block, columns, rootInGrid).width;
    let top = y;
    const grid = [...block.members];
    if (block.root !== null && rootInGrid) grid.unshift(block.root);
    else if (block.root !== null) {
      positions.set(block.root, cellCentre(x + (width - 1) / 2, y, cellW, cellH, extent));
      top += 1;
    }
    grid.forEach((id, i) => {
      const row = Math.floor(i / columns);
      const inRow = Math.min(columns, grid.length - row * columns);
      // A short last row is centred under the block.
      const col = (i % columns) + (width - inRow) / 2;
      positions.set(id, cellCentre(x + col, top + row, cellW, cellH, extent));
    });
  }
  return positions;
}

function cellCentre(col: number, row: number, cellW: number, cellH: number, extent: NodeExtent): Point {
  return { x: col * cellW + CELL_GAP.x / 2 + extent.left, y: row * cellH + CELL_GAP.y / 2 + extent.up };
}

function familyBlocks(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Block[] {
  const ids = new Set(nodes.map((n) => n.id));
  const children = new Map<string, string[]>();
  const hasParent = new Set<string>();
  for (const e of edges) {
    if (e.type !== "parent" || !ids.has(e.source) || !ids.has(e.target)) continue;
    children.set(e.source, [...(children.get(e.source) ?? []), e.target]);
    hasParent.add(e.target);
  }
  const blocks: Block[] = [];
  const lone: string[] = [];
  const seen = new Set<string>();
  const family = (root: string): string[] => {
    const members: string[] = [];
    seen.add(root);
    for (let queue = [root], i = 0; i < queue.length; i++) {
      for (const child of children.get(queue[i] ?? "") ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        members.push(child);
        queue.push(child);
      }
    }
    return members;
  };
  for (const n of nodes) {
    if (hasParent.has(n.id)) continue;
    if (!children.has(n.id)) {
      lone.push(n.id);
      seen.add(n.id);
      continue;
    }
    blocks.push({ root: n.id, members: family(n.id) });
  }
  // Parent loops have no root: the first node of each loop heads its family.
  for (const n of nodes) if (!seen.has(n.id)) blocks.push({ root: n.id, members: family(n.id) });
  if (lone.length > 0) blocks.push({ root: null, members: lone });
  return blocks;
}

function blockSize(block: Block, columns: number, inline: boolean): { width: number; height: number } {
  const cells = block.members.length + (block.root !== null && inline ? 1 : 0);
  const width = Math.max(1, Math.min(columns, cells));
  const rows = Math.ceil(cells / columns);
  return { width, height: rows + (block.root === null || inline ? 0 : 1) };
}

function packRows(blocks: Block[], sizes: { width: number; height: number }[], columns: number, inline: boolean, limit: number): { placed: Placed[]; width: number; height: number } {
  const placed: Placed[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  blocks.forEach((block, i) => {
    const size = sizes[i] ?? { width: 1, height: 1 };
    if (x > 0 && x + size.width > limit + 1e-9) {
      y += rowHeight + BLOCK_GAP;
      x = 0;
      rowHeight = 0;
    }
    placed.push({ block, columns, inline, x, y });
    x += size.width;
    width = Math.max(width, x);
    x += BLOCK_GAP;
    rowHeight = Math.max(rowHeight, size.height);
  });
  return { placed, width: Math.max(1, width), height: Math.max(1, y + rowHeight) };
}

// An edge keeps this far (model units) from the edge of any node symbol it does not join, where
// it can.
const EDGE_CLEARANCE = 4;
// The most an edge bends, in steps of a node's width, before it settles for crossing the fewest.
const MAX_BEND_STEPS = 6;

/**
 * How far each edge bends so that it passes no node but its own two: cytoscape's
 * `control-point-distances` for one control point halfway (an `unbundled-bezier`), positive to
 * the right of source -> target as drawn (y grows downwards); edges left out stay straight.
 *
 * The grid of {@link layoutGraph} lines nodes up, and a straight edge between two nodes of a
 * row or a column runs through every node between them, which reads as a chain of messages
 * that were never sent (user -> lead -> helper when the user wrote to both). Only node symbols
 * count as obstacles (`extent.left` is a symbol's half width: labels sit to its right); labels
 * have a backing that keeps them legible over an edge. An edge bends by the smallest step of a
 * node's width, either way, that crosses the fewest other symbols (then keeps the most room
 * from them), and the two directions between one pair never take the same curve.
 */
export function edgeBends(edges: readonly GraphEdge[], positions: ReadonlyMap<string, Point>, extent: NodeExtent): Map<string, number> {
  const step = 2 * (extent.left + EDGE_CLEARANCE);
  const bends = new Map<string, number>();
  // Curves taken per unordered pair, as the bend seen from the pair's first id to its second.
  const taken = new Map<string, Set<number>>();
  for (const edge of edges) {
    const from = positions.get(edge.source);
    const to = positions.get(edge.target);
    if (!from || !to || edge.source === edge.target) continue;
    const forward = edge.source < edge.target;
    const pair = forward ? `${edge.source}\u0000${edge.target}` : `${edge.target}\u0000${edge.source}`;
    const used = taken.get(pair) ?? new Set<number>();
    taken.set(pair, used);
    // Symbols crossed, then symbols passed closer than the clearance: fewer is better.
    let best: { bend: number; crossed: number; near: number } | undefined;
    for (const bend of [0, ...Array.from({ length: MAX_BEND_STEPS }, (_, k) => [(k + 1) * step, -(k + 1) * step]).flat()]) {
      if (used.has(forward ? bend : -bend)) continue;
      const { crossed, near } = symbolsInTheWay(from, to, bend, positions, edge, extent.left, EDGE_CLEARANCE);
      if (!best || crossed < best.crossed || (crossed === best.crossed && near < best.near)) best = { bend, crossed, near };
      if (near === 0) break;
    }
    if (!best) continue;
    used.add(forward ? best.bend : -best.bend);
    if (best.bend !== 0) bends.set(edge.id, best.bend);
  }
  return bends;
}

/**
 * The node symbols other than its ends that the edge from `from` to `to`, bent by `bend`, runs
 * through (`crossed`: within `half` of a node's position, a square) and passes closer than
 * `clearance` to (`near`, the crossed ones included).
 */
function symbolsInTheWay(from: Point, to: Point, bend: number, positions: ReadonlyMap<string, Point>, edge: GraphEdge, half: number, clearance: number): { crossed: number; near: number } {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy);
  if (length === 0) return { crossed: 0, near: 0 };
  // The control point, `bend` to the right of the midpoint as drawn (cytoscape's convention).
  const control = { x: (from.x + to.x) / 2 - (dy / length) * bend, y: (from.y + to.y) / 2 + (dx / length) * bend };
  const samples = Math.min(400, Math.ceil((length + Math.abs(bend)) / (half / 2)));
  const reach = half + clearance;
  let crossed = 0;
  let near = 0;
  for (const [id, p] of positions) {
    if (id === edge.source || id === edge.target) continue;
    let closest = Infinity;
    for (let i = 1; i < samples && closest >= half; i++) {
      const t = i / samples;
      const a = (1 - t) * (1 - t);
      const b = 2 * t * (1 - t);
      const c = t * t;
      closest = Math.min(closest, Math.max(Math.abs(a * from.x + b * control.x + c * to.x - p.x), Math.abs(a * from.y + b * control.y + c * to.y - p.y)));
    }
    if (closest < half) crossed++;
    if (closest < reach) near++;
  }
  return { crossed, near };
}
