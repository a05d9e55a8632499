/** Options of {@link FloodGate}; every figure has a default fit for a terminal pane. */
export interface FloodGateOptions {
  /** Output in the last {@link FloodGateOptions.floodWindowMs} that starts a flood (default 64 KiB). */
  floodBytes?: number;
  /** The window {@link FloodGateOptions.floodBytes} is counted over (default 250 ms). */
  floodWindowMs?: number;
  /** Output in the last calm period at or below which a flood is over (default 16 KiB). */
  calmBytes?: number;
  /** How long output must stay at or below {@link FloodGateOptions.calmBytes} to end a flood (default 1 s). */
  calmMs?: number;
  /**
   * A flood that starts again this soon after the last one ended doubles the calm needed to end
   * it, up to {@link FloodGateOptions.maxCalmMs}; a gate that stays calm this long starts over
   * from {@link FloodGateOptions.calmMs} (default 5 s).
   */
  relapseMs?: number;
  /** The most calm a flood can be made to wait for (default 8 s). */
  maxCalmMs?: number;
}

/** Defaults of {@link FloodGateOptions}. */
export const FLOOD_GATE_DEFAULTS: Readonly<Required<FloodGateOptions>> = Object.freeze({
  floodBytes: 64 * 1024,
  floodWindowMs: 250,
  calmBytes: 16 * 1024,
  calmMs: 1000,
  relapseMs: 5000,
  maxCalmMs: 8000,
});

// Arrivals are summed into slots of this many ms, so the record of a flood stays a few dozen
// entries however many frames it comes in.
const SLOT_MS = 25;

/**
 * Tells when a terminal's output floods in and when it has calmed again. A pane suspends
 * xterm's screen-reader mode during a flood: its accessibility tree is refreshed row by row
 * with a forced layout each, which costs the page more than parsing the output itself, and
 * megabytes scrolling by are unreadable anyway. Switching the mode rebuilds that tree, so the
 * gate has hysteresis: a flood starts above {@link FloodGateOptions.floodBytes} per
 * {@link FloodGateOptions.floodWindowMs} (a fast rate over a short window, to react at once)
 * and ends only once output has stayed at or below the much lower
 * {@link FloodGateOptions.calmBytes} for a whole calm period; bursts that keep coming back soon
 * after a flood ends double that period each time. So the gate switches at most twice per calm
 * period, and ever more rarely while the bursts go on.
 *
 * Pure: the caller passes the time (ms, any monotonic clock) and arms its own timer with
 * {@link FloodGate.calmIn}.
 */
export class FloodGate {
  readonly #o: Required<FloodGateOptions>;
  // [slot start ms, bytes] for the last max(floodWindowMs, calm) ms, oldest first.
  readonly #slots: [number, number][] = [];
  #flooding = false;
  #calmMs: number;
  #endedAt = Number.NEGATIVE_INFINITY;
  #switches = 0;

  constructor(options: FloodGateOptions = {}) {
    this.#o = { ...FLOOD_GATE_DEFAULTS, ...options };
    const o = this.#o;
    if (!(o.floodBytes > o.calmBytes && o.calmBytes >= 0)) throw new RangeError("floodBytes must be above calmBytes, and calmBytes not negative");
    if (!(o.floodWindowMs > 0 && o.calmMs > 0 && o.maxCalmMs >= o.calmMs && o.relapseMs >= 0)) throw new RangeError("windows must be positive and maxCalmMs at least calmMs");
    this.#calmMs = o.calmMs;
  }

  /** Count `bytes` of output arriving at `now`. True when this starts a flood. */
  output(bytes: number, now: number): boolean {
    const slot = now - (now % SLOT_MS);
    const last = this.#slots[this.#slots.length - 1];
    if (last && last[0] === slot) last[1] += bytes;
    else this.#slots.push([slot, bytes]);
    this.#prune(now);
    if (this.#flooding) return false;
    // A calm stretch as long as the relapse window forgives earlier floods.
    if (now - this.#endedAt >= this.#o.relapseMs) this.#calmMs = this.#o.calmMs;
    if (this.#sum(now, this.#o.floodWindowMs) <= this.#o.floodBytes) return false;
    if (now - this.#endedAt < this.#o.relapseMs) this.#calmMs = Math.min(this.#calmMs * 2, this.#o.maxCalmMs);
    this.#flooding = true;
    this.#switches += 1;
    return true;
  }

  /** Check at `now` whether a flood is over. True when it ends now. */
  settle(now: number): boolean {
    if (!this.#flooding) return false;
    this.#prune(now);
    if (this.calmIn(now) !== 0) return false;
    this.#flooding = false;
    this.#endedAt = now;
    this.#switches += 1;
    return true;
  }

  /**
   * During a flood, the ms from `now` until {@link FloodGate.settle} can end it if nothing more
   * arrives (0: it can now); null when there is no flood.
   */
  calmIn(now: number): number | null {
    if (!this.#flooding) return null;
    // Output at or below calmBytes counts as calm, so only the time since the output that
    // pushed the last calm period over it matters: walk back from the newest slot.
    let total = 0;
    for (let i = this.#slots.length - 1; i >= 0; i--) {
      const [at, bytes] = this.#slots[i] ?? [0, 0];
      if (at + SLOT_MS <= now - this.#calmMs) break;
      total += bytes;
      if (total > this.#o.calmBytes) return Math.max(0, at + SLOT_MS + this.#calmMs - now);
    }
    return 0;
  }

  /** True from the start of a flood until it has calmed. */
  get flooding(): boolean {
    return this.#flooding;
  }

  /** The calm the current (or next) flood needs to end, in ms. */
  get calmMs(): number {
    return this.#calmMs;
  }

  /** How many times the gate has switched, into a flood or out of one. */
  get switches(): number {
    return this.#switches;
  }

  #sum(now: number, windowMs: number): number {
    let total = 0;
    for (let i = this.#slots.length - 1; i >= 0; i--) {
      const [at, bytes] = this.#slots[i] ?? [0, 0];
      if (at + SLOT_MS <= now - windowMs) break;
      total += bytes;
    }
    return total;
  }

  #prune(now: number): void {
    const keep = Math.max(this.#o.floodWindowMs, this.#o.maxCalmMs) + SLOT_MS;
    let drop = 0;
    while (drop < this.#slots.length && (this.#slots[drop]?.[0] ?? 0) < now - keep) drop++;
    if (drop > 0) this.#slots.splice(0, drop);
  }
}
