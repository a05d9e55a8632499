// A real pseudo-terminal running one CLI, with a headless terminal as its screen model, so tests
// read what a user would see rather than raw escape sequences.
import xterm from "@xterm/headless";
import pty from "node-pty";
import { waitFor } from "@clustr/test-utils";

const COLS = 160;
const ROWS = 50;
const SUBMIT_ATTEMPTS = 4;
/** How long one Enter gets to start a turn before it is pressed again (generous: the machine is shared). */
const SUBMIT_WAIT_MS = 10_000;
/** Pastes go in writes of at most this many bytes: a paste marker cut between two reads of the terminal reached Claude Code as typed text. */
const BATCH_BYTES = 3000;
/** How long a batch of pastes waits for the CLI to draw before the next goes anyway. */
const BATCH_ACK_MS = 2000;

/** Limits of one paste when a text goes as several (see {@link PtySession.pasteAndSubmit}). */
export interface PastePieces {
  maxChars: number;
  maxLines: number;
}

/**
 * Claude Code 2.1.330 wraps a single paste of more than 800 characters or 4+ lines in
 * `<pasted_content>` tags; pastes within these limits stay as typed (the spawner uses the same).
 */
export const CLAUDE_PASTE_PIECES: PastePieces = { maxChars: 600, maxLines: 3 };

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Cut text into pieces within the limits, between grapheme clusters only. */
export function pastePieces(text: string, limits: PastePieces): string[] {
  const pieces: string[] = [];
  let piece = "";
  let feeds = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (piece !== "" && piece.length + segment.length > limits.maxChars) {
      pieces.push(piece);
      piece = "";
      feeds = 0;
    }
    piece += segment;
    if (segment.includes("\n") && ++feeds >= limits.maxLines - 1) {
      pieces.push(piece);
      piece = "";
      feeds = 0;
    }
  }
  if (piece !== "") pieces.push(piece);
  return pieces;
}

export interface PtySession {
  readonly pid: number;
  /** The visible screen as text, one line per row, trailing spaces trimmed. */
  screen(): string;
  /** Wait until the screen matches (a pattern, or a check of its text); fails with the screen in the message. */
  waitForScreen(pattern: RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  write(data: string): void;
  /**
   * Type text the way Clustr injects it: bracketed paste (with `pieces`, several pastes within
   * those limits, in small writes each waiting for the CLI to draw), wait until the screen shows
   * it, then a separate Enter. A loaded machine can swallow that Enter while the CLI still digests
   * the paste, so Enter is pressed again (a few times at most) until `submitted()` says the turn
   * started.
   */
  pasteAndSubmit(text: string, submitted: () => boolean, options?: { pieces?: PastePieces }): Promise<void>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number>;
  kill(signal?: string): void;
}

export function startPty(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): PtySession {
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  const child = pty.spawn(file, args, {
    name: "xterm-256color",
    cols: COLS,
    rows: ROWS,
    cwd: options.cwd,
    env: options.env as Record<string, string>,
  });
  let pending = Promise.resolve();
  let drawWaiters: (() => void)[] = [];
  child.onData((data) => {
    pending = pending.then(() => new Promise<void>((resolve) => term.write(data, resolve)));
    const waiters = drawWaiters;
    drawWaiters = [];
    for (const wake of waiters) wake();
  });
  const nextDraw = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      drawWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  const screen = (): string => {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? "");
    return lines.join("\n");
  };
  return {
    pid: child.pid,
    screen,
    async waitForScreen(pattern, timeoutMs = 60_000) {
      try {
        return await waitFor(async () => {
          await pending;
          const text = screen();
          return (typeof pattern === "function" ? pattern(text) : pattern.test(text)) ? text : undefined;
        }, { timeoutMs, intervalMs: 100, what: `screen ${String(pattern)}` });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- screen ---\n${screen()}`, { cause: error });
      }
    },
    write: (data) => child.write(data),
    async pasteAndSubmit(text, submitted, options = {}) {
      const pastes = (options.pieces ? pastePieces(text, options.pieces) : [text]).map((piece) => `\x1b[200~${piece}\x1b[201~`);
      let batch = "";
      for (const [index, paste] of pastes.entries()) {
        batch += paste;
        const next = pastes[index + 1];
        if (next !== undefined && Buffer.byteLength(batch + next) <= BATCH_BYTES) continue;
        const drawn = nextDraw(BATCH_ACK_MS);
        child.write(batch);
        batch = "";
        await drawn;
      }
      const shown = (text.split("\n")[0] ?? "").slice(0, 40);
      // A long paste may show as a placeholder: "[Pasted text #1 …]" (Claude), "[Pasted Content N chars]" (Codex).
      await this.waitForScreen((screen) => screen.includes(shown) || /\[Pasted (text|Content)/.test(screen), 30_000);
      for (let attempt = 0; attempt < SUBMIT_ATTEMPTS; attempt++) {
        await new Promise((r) => setTimeout(r, 300));
        child.write("\r");
        try {
          await waitFor(submitted, { timeoutMs: SUBMIT_WAIT_MS, intervalMs: 50, what: "the submitted turn" });
          return;
        } catch {
          // Not submitted yet: press Enter again.
        }
      }
      throw new Error(`the text was not submitted after ${SUBMIT_ATTEMPTS} Enter presses\n--- screen ---\n${screen()}`);
    },
    exited,
    kill: (signal) => child.kill(signal),
  };
}
