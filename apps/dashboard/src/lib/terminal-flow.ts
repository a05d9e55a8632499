/**
 * The name of an optional object on `window` that benchmarks install before the page loads
 * (see `bench/terminal-flood-browser.mjs`). When it is there, every terminal pane reports each
 * chunk of output to it once xterm has parsed it; when it is not, nothing is reported.
 */
export const TERMINAL_STATS_HOOK = "__clustrTerminalStats";

/** What a terminal pane tells {@link TERMINAL_STATS_HOOK}. */
export interface TerminalStatsHook {
  /** `chunk` of agent `agentId`'s output is in xterm's buffer; `pendingBytes` still wait. */
  parsed(agentId: string, chunk: string | Uint8Array, pendingBytes: number): void;
  /** `bytes` of output were dropped because the pane fell too far behind (see {@link OutputFlow}). */
  skipped?(agentId: string, bytes: number): void;
  /**
   * The pane switched xterm's screen-reader mode `on` or off (see `FloodGate`); setting the
   * option took `ms` (xterm builds or disposes its accessibility tree then).
   */
  screenReader?(agentId: string, on: boolean, ms: number): void;
}

/** The hook installed on `scope`, if any. */
export function terminalStatsHook(scope: object): TerminalStatsHook | undefined {
  const hook: unknown = (scope as Record<string, unknown>)[TERMINAL_STATS_HOOK];
  if (typeof hook === "object" && hook !== null && typeof (hook as TerminalStatsHook).parsed === "function") return hook as TerminalStatsHook;
  return undefined;
}

/** The part of xterm's `Terminal` that output goes through. */
export interface OutputSink {
  write(data: string | Uint8Array, parsed: () => void): void;
}

/**
 * Output waiting in xterm beyond which a pane stops taking more and catches up instead. xterm
 * parses some 5-35 MB/s and grows sluggish with half a megabyte queued; a browser cannot push
 * back on a WebSocket (it reads every frame as it comes), so without a bound a flood queues
 * here without limit (xterm itself only drops data past 50 MB) and every key's echo waits
 * behind it. Above the server's 1 MiB scrollback replay, so that a reconnect's replay alone
 * never counts as falling behind.
 */
export const OUTPUT_HIGH_WATERMARK_BYTES = 2 * 1024 * 1024;

/** Options of {@link OutputFlow}. */
export interface OutputFlowOptions {
  /** Pending bytes beyond which the flow falls behind (default {@link OUTPUT_HIGH_WATERMARK_BYTES}). */
  highWatermarkBytes?: number;
  /** Called for each chunk once parsed. */
  onParsed?: (chunk: string | Uint8Array, pendingBytes: number) => void;
  /** Called once when the flow falls behind: the source should stop sending. */
  onBehind?: () => void;
  /** Called once everything taken was parsed after falling behind: time to resynchronise. */
  onCaughtUp?: () => void;
  /** Called with the size of each chunk dropped while behind. */
  onSkipped?: (bytes: number) => void;
}

/**
 * Output on its way into a terminal. Counts the bytes handed to xterm whose parse has not
 * finished (xterm queues writes and parses them in slices of about 12 ms). Past the high
 * watermark it is `behind`: it calls `onBehind` (the pane closes its socket, which no longer
 * holds the agent back), drops what still arrives, and once xterm has parsed the rest calls
 * `onCaughtUp` (the pane reconnects; the server replays its scrollback, so the screen shows
 * the present again). {@link OutputFlow.resume} takes output again.
 */
export class OutputFlow {
  #pending = 0;
  #maxPending = 0;
  #parsed = 0;
  #skipped = 0;
  #behind = false;
  readonly #high: number;

  constructor(
    private readonly sink: OutputSink,
    private readonly options: OutputFlowOptions = {},
  ) {
    this.#high = options.highWatermarkBytes ?? OUTPUT_HIGH_WATERMARK_BYTES;
  }

  /** Hand `chunk` to the terminal, or drop it while behind; `parsed` is called once it is in. */
  write(chunk: string | Uint8Array, parsed?: () => void): void {
    const size = typeof chunk === "string" ? chunk.length : chunk.byteLength;
    if (this.#behind) {
      this.#skipped += size;
      this.options.onSkipped?.(size);
      return;
    }
    this.#pending += size;
    if (this.#pending > this.#maxPending) this.#maxPending = this.#pending;
    this.sink.write(chunk, () => {
      this.#pending -= size;
      this.#parsed += size;
      parsed?.();
      this.options.onParsed?.(chunk, this.#pending);
      if (this.#behind && this.#pending === 0) this.options.onCaughtUp?.();
    });
    if (this.#pending > this.#high) {
      this.#behind = true;
      this.options.onBehind?.();
    }
  }

  /** Take output again after {@link OutputFlowOptions.onCaughtUp}. */
  resume(): void {
    this.#behind = false;
  }

  /** True from falling behind until {@link OutputFlow.resume}. */
  get behind(): boolean {
    return this.#behind;
  }

  /** Bytes (UTF-16 units for text) handed over and not parsed yet. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** The most that was ever pending at once. */
  get maxPendingBytes(): number {
    return this.#maxPending;
  }

  /** Bytes parsed so far. */
  get parsedBytes(): number {
    return this.#parsed;
  }

  /** Bytes dropped while behind. */
  get skippedBytes(): number {
    return this.#skipped;
  }
}

/**
 * Shown output acknowledged at least this often. The server keeps at most
 * `LIMITS.terminalAckWindowBytes` (128 KiB) unacknowledged, so acknowledging every quarter of it
 * keeps output coming while xterm parses the rest.
 */
export const ACK_EVERY_BYTES = 32 * 1024;

/**
 * The acknowledgements of one terminal socket (`{type: "ack"}`, see
 * `TerminalClientMessageSchema`): counts the output bytes the socket brought and the ones the
 * terminal has shown, and calls `send` with the total to acknowledge, at least every
 * {@link ACK_EVERY_BYTES} and whenever everything received is shown. With acknowledgements the
 * server sends no faster than the terminal shows, so a key's echo waits behind at most the
 * window, not behind whatever the kernel and the browser can queue.
 *
 * While `eager()` is true (the page is hidden: a browser then runs its timers, and so xterm's
 * parser, once a second or less) output is acknowledged as it arrives, so that a background tab
 * never holds an agent back; the pane's {@link OutputFlow} then bounds what queues in xterm.
 */
export class OutputAcks {
  #received = 0;
  #shown = 0;
  #acked = 0;
  #started = false;

  constructor(
    private readonly send: (bytes: number) => void,
    private readonly eager: () => boolean = () => false,
    private readonly every = ACK_EVERY_BYTES,
  ) {}

  /** Turn flow control on: acknowledge nothing yet, so that the server starts counting. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.send(this.#acked);
  }

  /** The socket brought `bytes` of output. */
  received(bytes: number): void {
    this.#received += bytes;
    if (this.eager()) this.#ackUpTo(this.#received);
  }

  /** The terminal has shown `bytes` more of what was received. */
  shown(bytes: number): void {
    this.#shown += bytes;
    this.#ackUpTo(this.#shown);
  }

  /** Acknowledge everything received now (the page was just hidden). */
  flush(): void {
    this.#ackUpTo(this.#received, true);
  }

  /** The total last acknowledged. */
  get ackedBytes(): number {
    return this.#acked;
  }

  #ackUpTo(total: number, now = false): void {
    // Acknowledgements only grow; one of a parse that trails an eager one says nothing new.
    if (!this.#started || total <= this.#acked) return;
    if (!now && total - this.#acked < this.every && total < this.#received) return;
    this.#acked = total;
    this.send(total);
  }
}
