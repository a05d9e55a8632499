import type { AgentActivity } from "@clustr/protocol";
import type { ScreenState } from "../screens/types.js";

/**
 * Reads a screen and says what the program is doing. The adapters' `classify` fits; a session
 * takes it as a plain function so that it knows nothing of any particular CLI.
 */
export type ScreenClassifier = (screenText: string) => ScreenState;

/** How a pty session is started. */
export interface PtySessionOptions {
  /** The program: an absolute path, a path relative to `cwd`, or a name looked up on PATH. */
  file: string;
  /** Its arguments, passed as they are: no shell ever sees them. */
  args?: string[];
  /** An existing folder (absolute). */
  cwd: string;
  /** The environment (default: this process's). TERM, COLORTERM and SHLVL are filled in. */
  env?: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
  /** How much raw output `scrollback()` keeps, in bytes (default 1 MiB). */
  scrollbackBytes?: number;
  /** A subscriber holding more than this many undelivered bytes pauses the pty (default 256 KiB). */
  highWatermarkBytes?: number;
  /** Reads the screen for busy / idle / needs-input. Without one, activity follows output timing. */
  classify?: ScreenClassifier;
  /**
   * Where busy/idle comes from: `screen` (default with a classifier: CLIs draw their state) or
   * `output` (default without: busy while output flows, idle after `quietMs` of quiet). With
   * `output` and a classifier, a quiet screen that the classifier reads as a question is
   * `needs-input` (the adapters' `classifyCommandScreen` is made for this).
   */
  activityFrom?: "screen" | "output";
  /** With activity from output: quiet time before the session counts as idle (default 400 ms). */
  quietMs?: number;
  /** Shown with `cli_not_found` when the program is missing (e.g. how to install it). */
  installHint?: string;
}

/** How a session's process ended. */
export interface PtyExit {
  exitCode: number;
  /** The signal number that ended it, when a signal did. */
  signal?: number;
}

/**
 * Receives live output. Returning a promise says "not done yet": later output queues until it
 * settles, and a queue above the high watermark pauses the pty. A listener that throws or
 * rejects is unsubscribed so that it cannot hold the pty paused forever.
 */
export type OutputListener = (data: string) => void | Promise<void>;

/**
 * Receives live output as UTF-8 bytes, cut only between characters, with the same pacing rules
 * as {@link OutputListener}. For consumers that pass bytes on (a socket) and would otherwise
 * decode and re-encode them. The buffer is lent, not given: it stays as it is until the listener
 * returns or, when it returns a promise, until that settles; later output may reuse it, so a
 * listener that keeps the bytes longer copies them.
 */
export type ByteListener = (data: Buffer) => void | Promise<void>;

/** A live output subscription. */
export interface Subscription {
  unsubscribe(): void;
  /** Bytes queued for this subscriber and not yet delivered. */
  readonly pendingBytes: number;
}

/** A change of activity, with the screen reading that caused it (absent without a classifier). */
export interface ActivityChange {
  activity: AgentActivity;
  previous: AgentActivity;
  state?: ScreenState;
}

/** A removable listener. */
export interface Disposable {
  dispose(): void;
}

/** A program running in its own pseudo-terminal and process group. */
export interface PtySession {
  /** The child's pid, which is also its process group id. */
  readonly pid: number;
  readonly cols: number;
  readonly rows: number;
  /** busy / idle / needs-input, from the classifier or from output timing. */
  readonly activity: AgentActivity;
  /** True when activity is read from the screen by a classifier rather than from output timing. */
  readonly hasClassifier: boolean;
  /** True while the program has turned on bracketed paste (mode 2004). */
  readonly bracketedPasteMode: boolean;
  /** The last screen reading (absent without a classifier or before the first reading). */
  readonly screenState: ScreenState | undefined;
  /** True while the pty is paused because a subscriber fell behind. */
  readonly paused: boolean;
  /** Set once the process has exited and all its output has been delivered. */
  readonly exit: PtyExit | undefined;
  /** Resolves when the process has exited and every byte of its output was delivered. */
  readonly exited: Promise<PtyExit>;
  /** Raw input to the program (keys, escape sequences); nothing is sanitised here. */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Send a signal to the whole process group (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /** The visible screen as text, one line per row, trailing blanks trimmed. */
  screen(): string;
  /** The screen once every byte received so far has been parsed. */
  settledScreen(): Promise<string>;
  /** The last `scrollbackBytes` of raw output. */
  scrollback(): string;
  /** Live output; with `replay`, the scrollback comes first, with no gap or overlap. */
  subscribe(listener: OutputListener, options?: { replay?: boolean }): Subscription;
  /** The same as `subscribe`, with the output as UTF-8 bytes. */
  subscribeBytes(listener: ByteListener, options?: { replay?: boolean }): Subscription;
  onExit(listener: (exit: PtyExit) => void): Disposable;
  onActivity(listener: (change: ActivityChange) => void): Disposable;
  /** Called after each screen reading (with a classifier), changed or not. */
  onScreenState(listener: (state: ScreenState) => void): Disposable;
  /**
   * End the process group (SIGTERM, then SIGKILL after `graceMs`, default 2000), wait for its
   * exit, and free everything. Safe to call more than once.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Free everything now: SIGKILL to the group if it still runs. */
  dispose(): void;
}
