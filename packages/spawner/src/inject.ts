import { ClustrError } from "@clustr/protocol";
import { splitForPaste, type PastePieces } from "./paste-pieces.js";
import { sanitizeText } from "./sanitize.js";
import type { PtySession } from "./session/types.js";

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";
/** Between the paste and Enter: Codex ignores an Enter that arrives with the text (~0.4 s seen). */
const DEFAULT_PASTE_SETTLE_MS = 400;
/** How long a CLI gets to show that it took the submit (turned busy or cleared its input). */
const DEFAULT_CONFIRM_MS = 2000;
const DEFAULT_MAX_SUBMITS = 3;
/** How long to wait for a busy CLI to become idle before the first Enter. */
const DEFAULT_IDLE_WAIT_MS = 15_000;
/**
 * Pastes travel in writes of at most this many bytes, each only once the program has drawn
 * something since the last: the terminal hands a reader at most 4096 bytes at a time, and a
 * paste marker cut between two reads reached Claude Code as typed characters ("01~").
 */
const PIECE_BATCH_BYTES = 3000;
/** How long a batch of pastes waits for the program to draw before the next goes anyway. */
const DEFAULT_PIECE_ACK_MS = 2000;
/** Enough of the text to recognise it on the input line, short enough to fit a narrow one. */
const RECOGNISE_CHARS = 16;

/** The parts of a session that injection uses. */
export type InjectTarget = Pick<
  PtySession,
  "write" | "activity" | "screenState" | "hasClassifier" | "bracketedPasteMode" | "onScreenState" | "onExit" | "exit"
>;

/** How text is injected. */
export interface InjectOptions {
  /** Press Enter after the text (default true). */
  submit?: boolean;
  /** Keep line feeds (a task); otherwise they become spaces like every other control character. */
  multiline?: boolean;
  /**
   * `auto` (default): bracketed paste for a CLI read by a classifier and for any program that
   * turned the mode on; plain text otherwise, since a program that never asked for bracketed
   * paste would read its markers as typed characters.
   */
  paste?: "auto" | "bracketed" | "plain";
  /**
   * Paste long text as several bracketed pastes within these limits (the adapters say when a CLI
   * needs it: Claude Code wraps a long single paste before the model sees it). Only for
   * bracketed pastes; plain typing is never cut.
   */
  pieces?: PastePieces;
  /** With `pieces`: how long each batch of pastes waits for the program to draw, in ms (default 2000). */
  pieceAckMs?: number;
  /** Pause between the text and the Enter, in ms (default 400). */
  settleMs?: number;
  /** How long each Enter gets to be confirmed, in ms (default 2000). */
  confirmMs?: number;
  /** Enter is pressed at most this many times (default 3). */
  maxSubmits?: number;
  /** How long to wait for the CLI to be idle before the first Enter, in ms (default 15000). */
  idleWaitMs?: number;
}

/** What happened to an injection. */
export interface InjectResult {
  /** The text as it was typed, after sanitising. */
  text: string;
  /** How many times Enter was pressed. */
  submits: number;
  /**
   * True when the CLI showed that it took the submit (it turned busy or its input line no
   * longer shows the text). Always false for a program without a classifier, which cannot tell.
   */
  confirmed: boolean;
  /** Why Enter was not pressed at all, when it was not. */
  skipped?: "not-idle";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function normalise(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** True when the input line visibly holds `text` (or the CLI's placeholder for a long paste). */
export function inputShowsText(inputText: string | undefined, text: string): boolean {
  if (inputText === undefined) return false;
  const shown = normalise(inputText);
  if (shown === "") return false;
  // Placeholders for a long paste: Claude's "[Pasted text #1 …]", Codex's "[Pasted Content 1325 chars]".
  if (/\[Pasted (text|Content)/.test(shown)) return true;
  const wanted = normalise(text);
  if (wanted === "") return false;
  const head = wanted.slice(0, RECOGNISE_CHARS);
  const tail = wanted.slice(-RECOGNISE_CHARS);
  return shown.includes(head) || shown.includes(tail);
}

/**
 * Resolve with true once `check()` holds, false after `ms`. With `fresh`, only screen readings
 * made from now on count: a reading from before an Enter says nothing about the Enter.
 */
function waitForScreen(target: InjectTarget, check: () => boolean, ms: number, fresh = false): Promise<boolean> {
  if (!fresh && check()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (value: boolean) => {
      clearTimeout(timer);
      listener.dispose();
      exitListener.dispose();
      resolve(value);
    };
    let readings = 0;
    const timer = setTimeout(() => finish((!fresh || readings > 0) && check()), ms);
    const listener = target.onScreenState(() => {
      readings++;
      if (check()) finish(true);
    });
    const exitListener = target.onExit(() => finish(false));
  });
}

/**
 * Paste `text` as pastes within `limits`, grouped into writes of at most
 * {@link PIECE_BATCH_BYTES}; after each write, wait until the program has drawn (it read the
 * batch) or `ackMs` passed. One paste when the text fits in one.
 */
async function pasteInPieces(target: InjectTarget, text: string, limits: PastePieces, ackMs: number): Promise<void> {
  const pastes = splitForPaste(text, limits).map((piece) => `${PASTE_START}${piece}${PASTE_END}`);
  const batches: string[] = [];
  let batch = "";
  for (const one of pastes) {
    if (batch !== "" && Buffer.byteLength(batch) + Buffer.byteLength(one) > PIECE_BATCH_BYTES) {
      batches.push(batch);
      batch = "";
    }
    batch += one;
  }
  if (batch !== "") batches.push(batch);
  for (const next of batches) {
    if (target.exit) throw new ClustrError("process_exited", "the program exited while text was being typed into it");
    // Subscribed before the write, so a draw that follows at once is not missed.
    const drawn = waitForScreen(target, () => true, ackMs, true);
    target.write(next);
    await drawn;
  }
}

/**
 * Type `text` into a session safely: sanitised (no control character survives, so nothing can
 * end the paste or send a key), pasted, and then submitted with one Enter sent from here.
 *
 * With a classifier the Enter is pressed only while the CLI is idle, and pressed again (up to
 * `maxSubmits`) only while it is still idle and its input line still shows the text — never
 * into a busy CLI, where Codex would take it as "drop the turn and resend". Without one (a plain
 * program) it is paste, pause, one "\r".
 */
export async function inject(target: InjectTarget, text: string, options: InjectOptions = {}): Promise<InjectResult> {
  const {
    submit = true,
    multiline = false,
    paste = "auto",
    settleMs = DEFAULT_PASTE_SETTLE_MS,
    confirmMs = DEFAULT_CONFIRM_MS,
    maxSubmits = DEFAULT_MAX_SUBMITS,
    idleWaitMs = DEFAULT_IDLE_WAIT_MS,
  } = options;
  if (target.exit) throw new ClustrError("process_exited", "the program has exited; nothing can be typed into it");
  const clean = sanitizeText(text, { keepNewlines: multiline });
  const bracketed = paste === "bracketed" || (paste === "auto" && (target.hasClassifier || target.bracketedPasteMode));
  if (clean !== "") {
    if (!bracketed) target.write(clean);
    else if (options.pieces) await pasteInPieces(target, clean, options.pieces, options.pieceAckMs ?? DEFAULT_PIECE_ACK_MS);
    else target.write(`${PASTE_START}${clean}${PASTE_END}`);
  }
  if (!submit) return { text: clean, submits: 0, confirmed: false };

  await sleep(settleMs);
  if (!target.hasClassifier) {
    target.write("\r");
    return { text: clean, submits: 1, confirmed: false };
  }

  const idle = () => target.activity === "idle";
  if (!(await waitForScreen(target, idle, idleWaitMs))) return { text: clean, submits: 0, confirmed: false, skipped: "not-idle" };
  const taken = () => target.activity === "busy" || !inputShowsText(target.screenState?.inputText, clean);
  let submits = 0;
  for (;;) {
    target.write("\r");
    submits++;
    if (await waitForScreen(target, taken, confirmMs, true)) return { text: clean, submits, confirmed: true };
    // Still showing the text: press again only while idle and never past the limit.
    if (submits >= maxSubmits || !idle() || target.exit) return { text: clean, submits, confirmed: false };
  }
}
