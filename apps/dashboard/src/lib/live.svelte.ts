import { ApiClient } from "./api.js";
import { eventsUrl } from "./events-url.js";
import { LiveSync } from "./live-sync.js";
import type { SyncSnapshot } from "./live-sync.js";
import { emptyState } from "./state.js";

/** The views, labelled as the user sees them. */
export const VIEWS = ["Graph", "Terminal", "Messages", "Context", "Files", "Rules"] as const;
export type View = (typeof VIEWS)[number];

/** The REST client every component uses. */
export const api = new ApiClient();

class Live {
  // Replaced as a whole on every change, never mutated: a shallow signal is enough and keeps
  // thousands of messages from being wrapped in proxies.
  current: SyncSnapshot = $state.raw({ state: emptyState(), status: "connecting", loaded: false, loadError: null, lastSeq: null });
}

/** The live state of the workspace, kept in step by one socket on `/api/events`. */
export const live = new Live();

/** What the user has open: the view, the agent panel, terminals, the spawn dialog. */
export const ui: { view: View; selected: string | null; terminals: string[]; spawnOpen: boolean; messageTo: string } = $state({
  view: "Graph",
  selected: null,
  terminals: [],
  spawnOpen: false,
  messageTo: "*",
});

let sync: LiveSync | null = null;
let pending: SyncSnapshot | null = null;
let flush: ReturnType<typeof setTimeout> | null = null;

/** Starts the event stream; returns the function that stops it. */
export function startLive(): () => void {
  sync = new LiveSync({
    eventsUrl: (since) => eventsUrl(window.location, since),
    openSocket: (url) => new WebSocket(url),
    loadSnapshot: () => api.snapshot(),
    onChange: (snapshot) => {
      pending = snapshot;
      // A burst of events (a build touching thousands of files) becomes one render every
      // 50 ms rather than one per event. A timer, not an animation frame: the title keeps
      // counting agents that need input while the tab is in the background.
      flush ??= setTimeout(() => {
        flush = null;
        if (pending) live.current = pending;
        pending = null;
      }, 50);
    },
  });
  sync.start();
  return () => sync?.stop();
}

/** Loads the lists again (after a failed load). */
export function reloadLive(): void {
  sync?.reload();
}

/** Removes an ended agent on the server, then from this page. */
export async function removeAgent(id: string): Promise<void> {
  await api.removeAgent(id);
  sync?.forgetAgent(id);
  closeTerminal(id);
  if (ui.selected === id) ui.selected = null;
}

/** Shows the agent's terminal, opening it beside the others. */
export function openTerminal(id: string): void {
  if (!ui.terminals.includes(id)) ui.terminals = [...ui.terminals, id];
  ui.view = "Terminal";
}

/** Closes one terminal pane. */
export function closeTerminal(id: string): void {
  ui.terminals = ui.terminals.filter((t) => t !== id);
}

/** Opens the Messages view with the box addressed to one agent. */
export function messageAgent(id: string): void {
  ui.messageTo = id;
  ui.view = "Messages";
}
