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

export interface PtySession {
  readonly pid: number;
  /** The visible screen as text, one line per row, trailing spaces trimmed. */
  screen(): string;
  /** Wait until the screen matches (a pattern, or a check of its text); fails with the screen in the message. */
  waitForScreen(pattern: RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  write(data: string): void;
  /**
   * Type text the way Clustr injects it: bracketed paste, wait until the screen shows it, then a
   * separate Enter. A loaded machine can swallow that Enter while the CLI still digests the paste,
   * so Enter is pressed again (a few times at most) until `submitted()` says the turn started.
   */
  pasteAndSubmit(text: string, submitted: () => boolean): Promise<void>;
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
  child.onData((data) => {
    pending = pending.then(() => new Promise<void>((resolve) => term.write(data, resolve)));
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
    async pasteAndSubmit(text, submitted) {
      child.write(`\x1b[200~${text}\x1b[201~`);
      const shown = (text.split("\n")[0] ?? "").slice(0, 40);
      await this.waitForScreen((screen) => screen.includes(shown), 30_000);
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
