import xterm from "@xterm/headless";

/** How often buffered output is parsed into the screen while output keeps coming. */
const PARSE_INTERVAL_MS = 30;
/**
 * The same during a flood (output skipped since the last parse). Parsing blocks the event loop
 * and with it the pty reads, so a flood is parsed rarely; TUIs that need a fresh screen for
 * their busy/idle reading draw far less than this and keep the short interval.
 */
const FLOOD_PARSE_INTERVAL_MS = 500;
/**
 * The most unparsed output kept for the screen. Parsing costs about as much CPU as reading the
 * pty, so during a flood the screen model skips ahead: it resets and parses only the newest
 * bytes, which is where the final screen is drawn. Subscribers and the scrollback still get
 * every byte; only the screen model skips.
 */
const MAX_BACKLOG_BYTES = 256 * 1024;
const FULL_RESET = Buffer.from("\x1bc");

/**
 * A headless terminal fed with a pty's output. Parsing is batched on a short timer (and on
 * demand) rather than done per chunk, so the screen costs little while output floods in and its
 * memory stays bounded.
 */
export class ScreenModel {
  private readonly term: xterm.Terminal;
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private parsing = false;
  private waiters: Array<() => void> = [];
  private disposed = false;
  /** Output was skipped before the last parse: a flood is going on. */
  private flooding = false;
  private skippedSinceParse = false;

  constructor(
    cols: number,
    rows: number,
    private readonly onParsed: () => void,
  ) {
    this.term = new xterm.Terminal({ cols, rows, scrollback: 0, allowProposedApi: true });
  }

  write(chunk: Buffer): void {
    if (this.disposed) return;
    this.backlog.push(chunk);
    this.backlogBytes += chunk.length;
    if (this.backlogBytes > MAX_BACKLOG_BYTES * 2) this.trimBacklog();
    this.schedule();
  }

  resize(cols: number, rows: number): void {
    if (!this.disposed) this.term.resize(cols, rows);
  }

  /** True while the program has asked for bracketed paste (mode 2004), as parsed so far. */
  get bracketedPaste(): boolean {
    return !this.disposed && this.term.modes.bracketedPasteMode;
  }

  /** The visible rows as text, trailing blanks trimmed. */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? "");
    return lines.join("\n");
  }

  /** Resolves once everything written so far has been parsed. */
  settled(): Promise<void> {
    if (this.disposed || (!this.parsing && this.backlogBytes === 0)) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.parsing) this.parse();
    return done;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.backlog = [];
    this.backlogBytes = 0;
    this.term.dispose();
    this.release();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.parse(), this.flooding ? FLOOD_PARSE_INTERVAL_MS : PARSE_INTERVAL_MS);
  }

  /** Keep only the newest MAX_BACKLOG_BYTES, dropping whole chunks so that nothing is copied. */
  private trimBacklog(): void {
    this.skippedSinceParse = true;
    if (this.backlog[0] === FULL_RESET) {
      this.backlog.shift();
      this.backlogBytes -= FULL_RESET.length;
    }
    while (this.backlogBytes > MAX_BACKLOG_BYTES) {
      const first = this.backlog[0] as Buffer;
      const excess = this.backlogBytes - MAX_BACKLOG_BYTES;
      if (first.length <= excess) {
        this.backlog.shift();
        this.backlogBytes -= first.length;
      } else {
        this.backlog[0] = first.subarray(excess);
        this.backlogBytes -= excess;
      }
    }
    // What came before is skipped, so the parser starts over from a full reset (RIS), sent in
    // band so that it lands in order with the writes already queued.
    this.backlog.unshift(FULL_RESET);
    this.backlogBytes += FULL_RESET.length;
  }

  private parse(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || this.parsing) return;
    if (this.backlogBytes === 0) {
      this.release();
      return;
    }
    if (this.backlogBytes > MAX_BACKLOG_BYTES + FULL_RESET.length) this.trimBacklog();
    this.flooding = this.skippedSinceParse;
    this.skippedSinceParse = false;
    const chunks = this.backlog;
    this.backlog = [];
    this.backlogBytes = 0;
    this.parsing = true;
    const last = chunks.pop() as Buffer;
    for (const chunk of chunks) this.term.write(chunk);
    this.term.write(last, () => {
      this.parsing = false;
      if (this.disposed) return;
      this.onParsed();
      if (this.backlogBytes > 0) {
        // More arrived while parsing: finish it now if someone is waiting, else on the timer.
        if (this.waiters.length > 0) this.parse();
        else this.schedule();
      } else {
        this.release();
      }
    });
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
