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
