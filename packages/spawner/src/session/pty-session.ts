import type { AgentActivity } from "@clustr/protocol";
import { ClustrError } from "@clustr/protocol";
import pty from "node-pty";
import type { ScreenState } from "../screens/types.js";
import { ByteRing } from "./byte-ring.js";
import { OutputFanout } from "./fanout.js";
import { checkCwd, checkExecutable, ptyEnv } from "./launch-check.js";
import { ScreenModel } from "./screen-model.js";
import { installTailDrain } from "./tail-drain.js";
import type { ActivityChange, ByteListener, Disposable, OutputListener, PtyExit, PtySession, PtySessionOptions, Subscription } from "./types.js";
import { splitUtf8 } from "./utf8-split.js";

const DEFAULT_COLS = 120;
const DEFAULT_ROWS = 40;
const DEFAULT_SCROLLBACK_BYTES = 1024 * 1024;
/** Enough for a few screens of a busy TUI, small enough that a stuck viewer costs little. */
const DEFAULT_HIGH_WATERMARK_BYTES = 256 * 1024;
/** Quiet time after which a plain program counts as idle: longer than a pause between lines. */
const DEFAULT_QUIET_MS = 400;
const DEFAULT_CLOSE_GRACE_MS = 2000;
/** After SIGKILL the exit report needs only the kernel and one event loop turn. */
const AFTER_KILL_WAIT_MS = 3000;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // node-pty starts the child with setsid(), so its pid is also its process group id.
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function checkSize(cols: number, rows: number): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= 10_000;
  if (!ok(cols) || !ok(rows)) throw new ClustrError("bad_request", `terminal size ${cols}x${rows} is not valid (1..10000)`);
}

class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): Disposable {
    this.set.add(listener);
    return { dispose: () => this.set.delete(listener) };
  }
  emit(value: T): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch {
        // one failing listener must not stop the others or the pty
      }
    }
  }
  clear(): void {
    this.set.clear();
  }
}

class NodePtySession implements PtySession {
  readonly pid: number;
  private readonly term: pty.IPty;
  private readonly ring: ByteRing;
  private readonly fanout: OutputFanout;
  private readonly model: ScreenModel;
  private readonly classifier: PtySessionOptions["classify"];
  /** Busy/idle from output timing (plain programs) rather than from the screen (CLIs). */
  private readonly timed: boolean;
  private readonly quietMs: number;
  private readonly exitListeners = new Listeners<PtyExit>();
  private readonly activityListeners = new Listeners<ActivityChange>();
  private readonly stateListeners = new Listeners<ScreenState>();
  private carry: Buffer = Buffer.alloc(0);
  private quietTimer: NodeJS.Timeout | undefined;
  private lastOutputAt = 0;
  private currentActivity: AgentActivity = "busy";
  private state: ScreenState | undefined;
  private isPaused = false;
  private processExit: PtyExit | undefined;
  private finalExit: PtyExit | undefined;
  private disposed = false;
  private readonly processExited: Promise<PtyExit>;
  readonly exited: Promise<PtyExit>;
  private sizeCols: number;
  private sizeRows: number;

  constructor(options: PtySessionOptions) {
    const env = ptyEnv(options.env ?? process.env);
    const cwd = checkCwd(options.cwd);
    const file = checkExecutable(options.file, env, cwd, options.installHint);
    this.sizeCols = options.cols ?? DEFAULT_COLS;
    this.sizeRows = options.rows ?? DEFAULT_ROWS;
    checkSize(this.sizeCols, this.sizeRows);
    const high = options.highWatermarkBytes ?? DEFAULT_HIGH_WATERMARK_BYTES;
    this.classifier = options.classify;
    this.timed = (options.activityFrom ?? (options.classify ? "screen" : "output")) === "output";
    this.quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
    this.ring = new ByteRing(options.scrollbackBytes ?? DEFAULT_SCROLLBACK_BYTES);
    this.fanout = new OutputFanout(high, Math.floor(high / 4), (behind) => this.onPressure(behind));
    this.model = new ScreenModel(this.sizeCols, this.sizeRows, () => this.readScreen());

    try {
      this.term = pty.spawn(file, options.args ?? [], {
        name: "xterm-256color",
        cols: this.sizeCols,
        rows: this.sizeRows,
        cwd,
        env,
        // Raw bytes: this session decodes UTF-8 itself so that chunks split only between characters.
        encoding: null,
      } as pty.IPtyForkOptions);
    } catch (error) {
      this.model.dispose();
      throw new ClustrError("spawn_failed", `could not start ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.pid = this.term.pid;
    const onChunk = (chunk: Buffer) => this.onOutput(chunk);
    try {
      installTailDrain(this.term, onChunk);
    } catch (error) {
      killGroup(this.pid, "SIGKILL");
      this.model.dispose();
      throw new ClustrError("internal", (error as Error).message, { cause: error });
    }
    (this.term.onData as unknown as (listener: (chunk: Buffer) => void) => void)(onChunk);

    let resolveExited!: (exit: PtyExit) => void;
    this.exited = new Promise((resolve) => (resolveExited = resolve));
    this.processExited = new Promise((resolve) => {
      this.term.onExit(({ exitCode, signal }) => {
        // node-pty reports exit once the stream has closed, which is after the tail drain.
        const exit: PtyExit = signal ? { exitCode, signal } : { exitCode };
        this.processExit = exit;
        resolve(exit);
        if (this.quietTimer) clearTimeout(this.quietTimer);
        void Promise.all([this.fanout.whenDelivered(), this.model.settled()]).then(() => {
          this.finalExit = exit;
          resolveExited(exit);
          this.exitListeners.emit(exit);
        });
      });
    });
    this.armQuietTimer();
  }

  get cols(): number {
    return this.sizeCols;
  }
  get rows(): number {
    return this.sizeRows;
  }
  get activity(): AgentActivity {
    return this.currentActivity;
  }
  get hasClassifier(): boolean {
    return this.classifier !== undefined && !this.timed;
  }
  get bracketedPasteMode(): boolean {
    return this.model.bracketedPaste;
  }
  get screenState(): ScreenState | undefined {
    return this.state;
  }
  get paused(): boolean {
    return this.isPaused;
  }
  get exit(): PtyExit | undefined {
    return this.finalExit;
  }

  write(data: string): void {
    if (this.processExit || this.disposed) throw new ClustrError("process_exited", "the program has exited; nothing can be typed into it");
    this.term.write(data);
  }

  resize(cols: number, rows: number): void {
    checkSize(cols, rows);
    if (this.processExit || this.disposed) return;
    this.term.resize(cols, rows);
    this.model.resize(cols, rows);
    this.sizeCols = cols;
    this.sizeRows = rows;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    killGroup(this.pid, signal);
  }

  screen(): string {
    return this.model.text();
  }

  async settledScreen(): Promise<string> {
    await this.model.settled();
    return this.model.text();
  }

  scrollback(): string {
    return this.ring.text();
  }

  subscribe(listener: OutputListener, options: { replay?: boolean } = {}): Subscription {
    // Taken in the same turn as the subscription starts, so replay and live output meet exactly.
    return this.fanout.add(listener, true, options.replay ? this.ring.wholeCharacters() : undefined);
  }

  subscribeBytes(listener: ByteListener, options: { replay?: boolean } = {}): Subscription {
    return this.fanout.add(listener, false, options.replay ? this.ring.wholeCharacters() : undefined);
  }

  onExit(listener: (exit: PtyExit) => void): Disposable {
    if (this.finalExit) {
      const exit = this.finalExit;
      queueMicrotask(() => listener(exit));
      return { dispose: () => undefined };
    }
    return this.exitListeners.add(listener);
  }

  onActivity(listener: (change: ActivityChange) => void): Disposable {
    return this.activityListeners.add(listener);
  }

  onScreenState(listener: (state: ScreenState) => void): Disposable {
    return this.stateListeners.add(listener);
  }

  async close({ graceMs = DEFAULT_CLOSE_GRACE_MS }: { graceMs?: number } = {}): Promise<void> {
    if (!this.processExit) {
      killGroup(this.pid, "SIGTERM");
      await Promise.race([this.processExited, delay(graceMs)]);
      if (!this.processExit) {
        killGroup(this.pid, "SIGKILL");
        await Promise.race([this.processExited, delay(AFTER_KILL_WAIT_MS)]);
      }
    }
    // Children that ignored SIGTERM or outlived the leader are still in the group.
    killGroup(this.pid, "SIGKILL");
    await Promise.race([this.exited, delay(AFTER_KILL_WAIT_MS)]);
    this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.processExit) killGroup(this.pid, "SIGKILL");
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.fanout.clear();
    this.model.dispose();
    this.activityListeners.clear();
    this.stateListeners.clear();
    if (this.isPaused) this.term.resume();
  }

  private onOutput(chunk: Buffer): void {
    const joined = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const { complete, rest } = splitUtf8(joined);
    this.carry = Buffer.from(rest);
    if (complete.length === 0) return;
    this.ring.append(complete);
    if (this.disposed) return;
    this.model.write(complete);
    this.fanout.push(complete);
    if (this.timed) {
      this.lastOutputAt = performance.now();
      this.setActivity("busy");
      // One timer per quiet period, not per chunk: it re-arms itself for the time still left.
      if (!this.quietTimer) this.armQuietTimer();
    }
  }

  private onPressure(behind: boolean): void {
    if (behind && !this.isPaused && !this.disposed) {
      this.isPaused = true;
      this.term.pause();
    } else if (!behind && this.isPaused) {
      this.isPaused = false;
      this.term.resume();
    }
  }

  private armQuietTimer(delayMs = this.quietMs): void {
    if (!this.timed || this.processExit) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      const quietFor = performance.now() - this.lastOutputAt;
      if (quietFor >= this.quietMs) this.setActivity(this.quietActivity());
      else this.armQuietTimer(this.quietMs - quietFor);
    }, delayMs);
  }

  private readScreen(): void {
    if (!this.classifier || this.disposed) return;
    let state: ScreenState;
    try {
      state = this.classifier(this.model.text());
    } catch {
      return; // a classifier bug must not stop the output
    }
    this.state = state;
    this.stateListeners.emit(state);
    if (!this.timed) this.setActivity(state.activity, state);
    else if (this.currentActivity !== "busy") this.setActivity(this.quietActivity(), state);
  }

  /** After a quiet period: idle, unless the screen shows a question. */
  private quietActivity(): AgentActivity {
    return this.state?.activity === "needs-input" ? "needs-input" : "idle";
  }

  private setActivity(activity: AgentActivity, state?: ScreenState): void {
    if (activity === this.currentActivity) return;
    const previous = this.currentActivity;
    this.currentActivity = activity;
    this.activityListeners.emit(state ? { activity, previous, state } : { activity, previous });
  }
}

/**
 * Start `options.file` in its own pseudo-terminal and process group, with an argv array (no
 * shell). Launch problems are found before anything starts and thrown as `ClustrError`:
 * `cwd_not_found`, `cli_not_found` (with `installHint`), `not_executable`.
 *
 * The session keeps a headless screen, a bounded scrollback and live subscribers with flow
 * control, and reports exit only after every byte of output has been delivered.
 */
export function spawnPty(options: PtySessionOptions): PtySession {
  return new NodePtySession(options);
}
