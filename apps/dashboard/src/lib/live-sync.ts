import { ClustrEventSchema } from "@clustr/protocol";
import type { ClustrEvent } from "@clustr/protocol";
import { applyEvent, emptyState, fromSnapshot, withoutAgent } from "./state.js";
import type { DashboardState, Snapshot } from "./state.js";

/** The part of the browser's WebSocket the event stream uses. */
export interface EventSocket {
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

/** `connecting` before the first open, `live` while open, `reconnecting` after a drop. */
export type ConnectionStatus = "connecting" | "live" | "reconnecting" | "closed";

/** What {@link LiveSync} reports after every change. */
export interface SyncSnapshot {
  state: DashboardState;
  status: ConnectionStatus;
  /** True once the REST lists have been loaded at least once. */
  loaded: boolean;
  /** Why the last load of the lists failed, or null. */
  loadError: string | null;
  /** The last event's sequence number, or null before the first one. */
  lastSeq: number | null;
}

export interface LiveSyncOptions {
  /** The socket address, resuming after `since` when given. */
  eventsUrl: (since: number | undefined) => string;
  openSocket: (url: string) => EventSocket;
  /** Loads the REST lists. */
  loadSnapshot: () => Promise<Snapshot>;
  onChange: (snapshot: SyncSnapshot) => void;
  /** Delay before reconnect attempt `attempt` (0-based), in ms. */
  backoff?: (attempt: number) => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Reconnect delays: quick at first (a server restart), then at most every 5 s. */
export function defaultBackoff(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
}

/**
 * Keeps a {@link DashboardState} in step with the server: one socket on `/api/events`, the
 * REST lists loaded at start, after a `reset` event and after a drop before any event was
 * seen; otherwise a reconnect asks for `?since=<lastSeq>` and applies what it missed.
 */
export class LiveSync {
  private state: DashboardState = emptyState();
  private status: ConnectionStatus = "connecting";
  private loaded = false;
  private loadError: string | null = null;
  private lastSeq: number | null = null;
  private socket: EventSocket | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  // While the lists load, events wait here and are applied over the loaded lists.
  private buffer: ClustrEvent[] | null = null;
  private loadGeneration = 0;
  private readonly options: Required<LiveSyncOptions>;

  constructor(options: LiveSyncOptions) {
    this.options = {
      backoff: defaultBackoff,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      ...options,
    };
  }

  /** Opens the socket and loads the lists. */
  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.clearTimer(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    this.status = "closed";
    this.emit();
  }

  /** Reloads the lists now (after the user fixed something, or a failed load). */
  reload(): void {
    void this.resync();
  }

  /** Drops an agent this page removed (no event reports removals). */
  forgetAgent(id: string): void {
    const next = withoutAgent(this.state, id);
    if (next === this.state) return;
    this.state = next;
    this.emit();
  }

  /** The current view of the state. */
  current(): SyncSnapshot {
    return { state: this.state, status: this.status, loaded: this.loaded, loadError: this.loadError, lastSeq: this.lastSeq };
  }

  private emit(): void {
    this.options.onChange(this.current());
  }

  private connect(): void {
    if (this.stopped) return;
    this.timer = null;
    const socket = this.options.openSocket(this.options.eventsUrl(this.lastSeq ?? undefined));
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.status = "live";
      // Without a sequence number there is nothing to resume from: what happened while the
      // socket was down is only in the lists.
      if (this.lastSeq === null || !this.loaded) void this.resync();
      else this.emit();
    };
    socket.onmessage = (message) => {
      if (this.socket !== socket) return;
      this.receive(message.data as unknown);
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      this.status = "reconnecting";
      this.emit();
      const delay = this.options.backoff(this.attempt++);
      this.timer = this.options.setTimer(() => this.connect(), delay);
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const result = ClustrEventSchema.safeParse(parsed);
    if (!result.success) return;
    const event = result.data;
    const previous = this.lastSeq;
    this.lastSeq = event.seq;
    // A sequence number that goes back means a new server with a new counter: what this page
    // holds may be stale, so reload.
    if (event.type === "reset" || (previous !== null && event.seq <= previous)) {
      void this.resync();
      return;
    }
    if (this.buffer !== null) {
      this.buffer.push(event);
      return;
    }
    const next = applyEvent(this.state, event);
    if (next !== this.state) {
      this.state = next;
      this.emit();
    }
  }

  private async resync(): Promise<void> {
    const generation = ++this.loadGeneration;
    this.buffer = [];
    let snapshot: Snapshot;
    try {
      snapshot = await this.options.loadSnapshot();
    } catch (error) {
      if (generation !== this.loadGeneration) return;
      // Keep what is shown; apply what arrived meanwhile, and try again on the next drop or
      // when the user asks.
      const waiting = this.buffer ?? [];
      this.buffer = null;
      for (const event of waiting) this.state = applyEvent(this.state, event);
      this.loadError = error instanceof Error ? error.message : String(error);
      this.emit();
      return;
    }
    if (generation !== this.loadGeneration) return;
    let state = fromSnapshot(snapshot);
    for (const event of this.buffer ?? []) state = applyEvent(state, event);
    this.buffer = null;
    this.state = state;
    this.loaded = true;
    this.loadError = null;
    this.emit();
  }
}
