import type { ByteListener, OutputListener, Subscription } from "./types.js";

/** Room for a typical batch of pty reads, so that the buffer seldom grows. */
const MIN_SCRATCH_BYTES = 64 * 1024;

interface Subscriber {
  /** Takes text (`text` true) or the UTF-8 bytes as they are. */
  listener: OutputListener | ByteListener;
  text: boolean;
  queue: Buffer[];
  /** Where queued chunks are joined, reused from one delivery to the next. */
  scratch: Buffer | undefined;
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

  /**
   * A subscriber of text (`text`) or of bytes; `first` is delivered before any later output.
   * Output is kept as bytes and decoded once per delivery, for text subscribers only.
   */
  add(listener: OutputListener | ByteListener, text: boolean, first?: Buffer): Subscription {
    const sub: Subscriber = { listener, text, queue: [], scratch: undefined, queuedBytes: 0, inFlightBytes: 0, busy: false, active: true };
    this.subscribers.add(sub);
    if (first && first.length > 0) this.enqueue(sub, first);
    return {
      unsubscribe: () => this.remove(sub),
      get pendingBytes() {
        return sub.queuedBytes + sub.inFlightBytes;
      },
    };
  }

  /** Give `chunk` (whole UTF-8 characters) to every subscriber. */
  push(chunk: Buffer): void {
    for (const sub of this.subscribers) this.enqueue(sub, chunk);
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

  private enqueue(sub: Subscriber, chunk: Buffer): void {
    sub.queue.push(chunk);
    sub.queuedBytes += chunk.length;
    if (!sub.busy) this.deliver(sub);
    if (sub.queuedBytes + sub.inFlightBytes > this.high) this.onPressure(true);
  }

  private deliver(sub: Subscriber): void {
    while (sub.active && !sub.busy && sub.queue.length > 0) {
      // Whatever queued while the listener was busy goes out as one call.
      const bytes = sub.queuedBytes;
      const data = this.join(sub, bytes);
      sub.queue = [];
      sub.queuedBytes = 0;
      let result: void | Promise<void>;
      try {
        result = sub.text ? (sub.listener as OutputListener)(data.toString("utf8")) : (sub.listener as ByteListener)(data);
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

  /**
   * The queued chunks as one buffer. During a flood a delivery joins a few dozen pty reads; a
   * fresh buffer for each cost more than the pty reads themselves here (new memory is touched
   * page by page), so they are joined into a buffer kept for the next delivery. That is safe:
   * a text subscriber gets a decoded copy, and a byte subscriber's buffer is only promised to
   * stay as it is until its listener returns or its promise settles, before the next delivery.
   */
  private join(sub: Subscriber, bytes: number): Buffer {
    if (sub.queue.length === 1) return sub.queue[0] as Buffer;
    if (!sub.scratch || sub.scratch.length < bytes) sub.scratch = Buffer.allocUnsafe(Math.max(bytes, MIN_SCRATCH_BYTES));
    let at = 0;
    for (const chunk of sub.queue) at += chunk.copy(sub.scratch, at);
    return sub.scratch.subarray(0, bytes);
  }

  private remove(sub: Subscriber): void {
    if (!sub.active) return;
    sub.active = false;
    sub.scratch = undefined;
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
