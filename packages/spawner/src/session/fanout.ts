import type { OutputListener, Subscription } from "./types.js";

interface Subscriber {
  listener: OutputListener;
  queue: string[];
  queuedBytes: number;
  inFlightBytes: number;
  busy: boolean;
  active: boolean;
}

/**
 * Hands output to every subscriber at its own pace and tells the session when to pause the pty.
 * A subscriber is "behind" while it holds more than `high` undelivered bytes; the pty resumes
 * once every subscriber is back under `low`, so a slow one costs at most about `high` bytes of
 * memory plus the chunk in hand.
 */
export class OutputFanout {
  private readonly subscribers = new Set<Subscriber>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly high: number,
    private readonly low: number,
    private readonly onPressure: (behind: boolean) => void,
  ) {}

  add(listener: OutputListener, first?: string): Subscription {
    const sub: Subscriber = { listener, queue: [], queuedBytes: 0, inFlightBytes: 0, busy: false, active: true };
    this.subscribers.add(sub);
    if (first) this.enqueue(sub, first, Buffer.byteLength(first));
    return {
      unsubscribe: () => this.remove(sub),
      get pendingBytes() {
        return sub.queuedBytes + sub.inFlightBytes;
      },
    };
  }

  /** Give `data` (`bytes` long in UTF-8) to every subscriber. */
  push(data: string, bytes: number): void {
    for (const sub of this.subscribers) this.enqueue(sub, data, bytes);
  }

  /** True when some subscriber holds more than the high watermark. */
  get behind(): boolean {
    for (const sub of this.subscribers) if (sub.queuedBytes + sub.inFlightBytes > this.high) return true;
    return false;
  }

  /** Resolves once every subscriber has taken everything pushed so far. */
  whenDelivered(): Promise<void> {
    if (this.allDelivered()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  clear(): void {
    for (const sub of [...this.subscribers]) this.remove(sub);
  }

  private allDelivered(): boolean {
    for (const sub of this.subscribers) if (sub.busy || sub.queue.length > 0) return false;
    return true;
  }

  private enqueue(sub: Subscriber, data: string, bytes: number): void {
    sub.queue.push(data);
    sub.queuedBytes += bytes;
    if (!sub.busy) this.deliver(sub);
    if (sub.queuedBytes + sub.inFlightBytes > this.high) this.onPressure(true);
  }

  private deliver(sub: Subscriber): void {
    while (sub.active && !sub.busy && sub.queue.length > 0) {
      // Whatever queued while the listener was busy goes out as one call.
      const data = sub.queue.length === 1 ? (sub.queue[0] as string) : sub.queue.join("");
      const bytes = sub.queuedBytes;
      sub.queue = [];
      sub.queuedBytes = 0;
      let result: void | Promise<void>;
      try {
        result = sub.listener(data);
      } catch {
        this.remove(sub);
        return;
      }
      if (result && typeof (result as Promise<void>).then === "function") {
        sub.busy = true;
        sub.inFlightBytes = bytes;
        (result as Promise<void>).then(
          () => {
            sub.busy = false;
            sub.inFlightBytes = 0;
            this.deliver(sub);
            this.settle();
          },
          () => this.remove(sub),
        );
        return;
      }
    }
    this.settle();
  }

  private remove(sub: Subscriber): void {
    if (!sub.active) return;
    sub.active = false;
    sub.queue = [];
    sub.queuedBytes = 0;
    sub.inFlightBytes = 0;
    sub.busy = false;
    this.subscribers.delete(sub);
    this.settle();
  }

  private settle(): void {
    let max = 0;
    for (const s of this.subscribers) max = Math.max(max, s.queuedBytes + s.inFlightBytes);
    if (max <= this.low) this.onPressure(false);
    if (this.idleWaiters.length > 0 && this.allDelivered()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
