import { LIMITS, type ClustrEvent, type EventData, type EventType } from "@clustr/protocol";

type Listener = (event: ClustrEvent) => void;

/**
 * The typed event bus of a workspace. Every event gets the next sequence number; the last
 * `capacity` events are kept so a client that reconnects with `since` gets what it missed,
 * or a `reset` event when the window no longer reaches back that far.
 */
export class EventBus {
  private readonly ring: (ClustrEvent | undefined)[];
  private readonly listeners = new Set<Listener>();
  private nextSeq = 1;

  constructor(private readonly capacity: number = LIMITS.eventReplayMax) {
    this.ring = new Array<ClustrEvent | undefined>(capacity);
  }

  /** Sequence number of the last event emitted (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  emit<T extends EventType>(type: T, data: EventData<T>): ClustrEvent {
    const event = { seq: this.nextSeq++, type, at: new Date().toISOString(), data } as ClustrEvent;
    this.ring[event.seq % this.capacity] = event;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Listen to every later event; returns the function that stops listening. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Events after `since`, oldest first; a single `reset` event (seq = lastSeq) when some of
   * them have already left the window.
   */
  replay(since: number): ClustrEvent[] {
    if (since >= this.lastSeq) return [];
    const oldest = Math.max(1, this.nextSeq - this.capacity);
    if (since + 1 < oldest) {
      return [{ seq: this.lastSeq, type: "reset", at: new Date().toISOString(), data: { reason: "events since the given seq are no longer kept" } }];
    }
    const events: ClustrEvent[] = [];
    for (let seq = since + 1; seq <= this.lastSeq; seq++) {
      const event = this.ring[seq % this.capacity];
      if (event) events.push(event);
    }
    return events;
  }
}
