import { isEnded } from "@clustr/protocol";
import type { Agent, ClustrEvent, ContextEntry, FileEvent, Message, MessageState } from "@clustr/protocol";

/** Everything the views show, as the REST lists and the event stream describe it. */
export interface DashboardState {
  /** Oldest first. */
  readonly agents: readonly Agent[];
  /** By id, oldest first. */
  readonly messages: readonly Message[];
  /** By key. */
  readonly context: readonly ContextEntry[];
  /** By id, oldest first; at most {@link FILE_EVENTS_KEPT}. */
  readonly files: readonly FileEvent[];
  /** null until loaded. */
  readonly rules: string | null;
  /** When the rules last changed while the dashboard watched (ISO time), else null. */
  readonly rulesChangedAt: string | null;
}

/** What the REST lists return, loaded at start and after a `reset` event. */
export interface Snapshot {
  agents: Agent[];
  messages: Message[];
  context: ContextEntry[];
  files: FileEvent[];
  rules: string;
}

/** The file log is a live tail: older events stay in the database, not in the page. */
export const FILE_EVENTS_KEPT = 5000;

/** The state before anything is loaded. */
export function emptyState(): DashboardState {
  return { agents: [], messages: [], context: [], files: [], rules: null, rulesChangedAt: null };
}

/** A state built from the REST lists. */
export function fromSnapshot(snapshot: Snapshot): DashboardState {
  return {
    agents: [...snapshot.agents].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    messages: [...snapshot.messages].sort((a, b) => a.id - b.id),
    context: [...snapshot.context].sort((a, b) => a.key.localeCompare(b.key)),
    files: [...snapshot.files].sort((a, b) => a.id - b.id).slice(-FILE_EVENTS_KEPT),
    rules: snapshot.rules,
    rulesChangedAt: null,
  };
}

const MESSAGE_STATE_RANK: Record<MessageState, number> = { queued: 0, delivered: 1, read: 2 };

// Events buffered while a snapshot loads may be older than the snapshot: these guards keep an
// older copy from undoing a newer one (states only move forward, an ended agent stays ended).
function newerAgent(current: Agent, incoming: Agent): boolean {
  if (isEnded(current.status) && !isEnded(incoming.status)) return false;
  if (current.status === "running" && incoming.status === "starting") return false;
  return true;
}

function newerMessage(current: Message, incoming: Message): boolean {
  return MESSAGE_STATE_RANK[incoming.state] >= MESSAGE_STATE_RANK[current.state];
}

function upsertAgent(agents: readonly Agent[], agent: Agent): readonly Agent[] {
  const index = agents.findIndex((a) => a.id === agent.id);
  if (index === -1) return [...agents, agent];
  const current = agents[index] as Agent;
  if (!newerAgent(current, agent)) return agents;
  const next = [...agents];
  next[index] = agent;
  return next;
}

function upsertById<T extends { id: number }>(list: readonly T[], item: T, keep: (current: T, incoming: T) => boolean): readonly T[] {
  // Lists are sorted by id and new items nearly always come last: look from the end.
  for (let i = list.length - 1; i >= 0; i--) {
    const current = list[i] as T;
    if (current.id === item.id) {
      if (!keep(current, item)) return list;
      const next = [...list];
      next[i] = item;
      return next;
    }
    if (current.id < item.id) {
      const next = [...list];
      next.splice(i + 1, 0, item);
      return next;
    }
  }
  return [item, ...list];
}

function setContext(context: readonly ContextEntry[], key: string, entry: ContextEntry | null): readonly ContextEntry[] {
  const index = context.findIndex((e) => e.key === key);
  if (entry === null) return index === -1 ? context : context.filter((e) => e.key !== key);
  if (index === -1) return [...context, entry].sort((a, b) => a.key.localeCompare(b.key));
  const current = context[index] as ContextEntry;
  if (current.version > entry.version) return context;
  const next = [...context];
  next[index] = entry;
  return next;
}

/**
 * The state after one event. Pure: returns a new state (or the same one when the event
 * changes nothing). A `reset` event changes nothing here; the caller reloads the lists.
 */
export function applyEvent(state: DashboardState, event: ClustrEvent): DashboardState {
  switch (event.type) {
    case "agent.created":
    case "agent.updated": {
      const agents = upsertAgent(state.agents, event.data.agent);
      return agents === state.agents ? state : { ...state, agents };
    }
    case "message.created":
    case "message.updated": {
      const messages = upsertById(state.messages, event.data.message, newerMessage);
      return messages === state.messages ? state : { ...state, messages };
    }
    case "context.changed": {
      const context = setContext(state.context, event.data.key, event.data.entry);
      return context === state.context ? state : { ...state, context };
    }
    case "rules.changed":
      return { ...state, rules: event.data.content, rulesChangedAt: event.at };
    case "file.changed": {
      const files = upsertById(state.files, event.data.event, () => true);
      if (files === state.files) return state;
      return { ...state, files: files.length > FILE_EVENTS_KEPT ? files.slice(-FILE_EVENTS_KEPT) : files };
    }
    case "reset":
      return state;
  }
}

/**
 * The state without an agent the user removed. No event reports a removal, so the page that
 * removed it applies this itself; other pages see it gone at their next reload.
 */
export function withoutAgent(state: DashboardState, id: string): DashboardState {
  if (!state.agents.some((a) => a.id === id)) return state;
  return { ...state, agents: state.agents.filter((a) => a.id !== id) };
}

/** The agent with this id, or undefined. */
export function agentById(state: DashboardState, id: string): Agent | undefined {
  return state.agents.find((a) => a.id === id);
}

/** A readable name for a message end or an author: the agent's name, "user" for null. */
export function nameOf(agents: readonly Agent[], id: string | null): string {
  if (id === null) return "user";
  return agents.find((a) => a.id === id)?.name ?? id;
}
