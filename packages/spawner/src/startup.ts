import { ClustrError } from "@clustr/protocol";
import { inject, type InjectOptions, type InjectResult } from "./inject.js";
import type { ScreenPrompt, ScreenState } from "./screens/types.js";
import type { PtySession } from "./session/types.js";

const DEFAULT_TIMEOUT_MS = 60_000;
/** A prompt that is still there after this many answers is left to the user. */
const DEFAULT_MAX_ANSWERS = 3;
/** TUIs built on Ink read one key per chunk: arrows and Enter go as separate writes. */
const DEFAULT_STEP_PAUSE_MS = 80;
/** Time for a screen to redraw after an answer before the same prompt counts as unanswered. */
const DEFAULT_ANSWER_GAP_MS = 700;
/** Re-check at least this often: the ready signal and timers do not redraw the screen. */
const TICK_MS = 100;

/** What startup automation needs from a session. */
export type StartupSession = Pick<
  PtySession,
  | "write"
  | "activity"
  | "screenState"
  | "hasClassifier"
  | "bracketedPasteMode"
  | "onScreenState"
  | "onActivity"
  | "onExit"
  | "exit"
  | "settledScreen"
>;

/** Inputs of {@link runStartup}. */
export interface StartupOptions {
  session: StartupSession;
  /** The first user turn, typed once the agent is ready (line feeds kept). Omit to type nothing. */
  task?: string;
  /**
   * The caller's "ready" signal: for claude and codex the bridge's tools-ready report (never a
   * timer). Without one, ready means the first idle screen. A rejection ends the start with it.
   */
  ready?: Promise<unknown>;
  /** The whole start, prompts and ready included, must finish within this (default 60 s). */
  timeoutMs?: number;
  /** Each prompt is answered at most this many times (default 3). */
  maxAnswersPerPrompt?: number;
  /** Pause between the key steps of one answer (default 80 ms). */
  stepPauseMs?: number;
  /** Wait at least this long before answering the same prompt again (default 700 ms). */
  answerGapMs?: number;
  /** Called once for each screen that waits for input and is not a prompt this knows. */
  onNeedsInput?: (screen: string, state: ScreenState) => void;
  /** Called each time a prompt is answered. */
  onAnswer?: (prompt: ScreenPrompt, count: number) => void;
  /** How the task is typed (submit and multiline are fixed). */
  inject?: Omit<InjectOptions, "submit" | "multiline">;
}

/** How a start went. */
export interface StartupResult {
  /** How many times each prompt was answered. */
  answered: Record<string, number>;
  /** The task injection, when there was a task. */
  injected?: InjectResult;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Carry an agent from launch to its first turn: answer every recognised startup prompt with its
 * keys (each at most `maxAnswersPerPrompt` times), report screens that wait for the user, wait
 * for `ready` and an idle screen, then type the task.
 *
 * Fails with `start_timeout` (the last screen in `data.screen`) when that takes longer than
 * `timeoutMs`, with `process_exited` (exit code and screen in `data`) when the program ends
 * first, and with `spawn_failed` when the screen shows a blocker no key can pass (its hint kept).
 */
export async function runStartup(options: StartupOptions): Promise<StartupResult> {
  const {
    session,
    task,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    maxAnswersPerPrompt = DEFAULT_MAX_ANSWERS,
    stepPauseMs = DEFAULT_STEP_PAUSE_MS,
    answerGapMs = DEFAULT_ANSWER_GAP_MS,
  } = options;
  const deadline = Date.now() + timeoutMs;
  const answered: Record<string, number> = {};
  const reported = new Set<string>();
  let lastAnswerAt = 0;

  // A holder rather than a variable: the callbacks below change it between loop turns.
  const ready: { state: "waiting" | "ready" | { error: unknown } } = { state: options.ready ? "waiting" : "ready" };
  let wake: () => void = () => undefined;
  options.ready?.then(
    () => {
      ready.state = "ready";
      wake();
    },
    (error: unknown) => {
      ready.state = { error };
      wake();
    },
  );
  const subscriptions = [session.onScreenState(() => wake()), session.onActivity(() => wake()), session.onExit(() => wake())];

  try {
    for (;;) {
      if (session.exit) {
        const screen = await session.settledScreen();
        throw new ClustrError("process_exited", `the program exited with code ${session.exit.exitCode} before it was ready`, {
          data: { exitCode: session.exit.exitCode, ...(session.exit.signal ? { signal: session.exit.signal } : {}), screen },
        });
      }
      if (typeof ready.state === "object") throw ready.state.error;
      if (Date.now() > deadline) {
        const screen = await session.settledScreen();
        throw new ClustrError("start_timeout", `the agent was not ready after ${Math.round(timeoutMs / 1000)} s`, {
          hint: "the last screen shows where it stopped",
          data: { screen },
        });
      }

      const state = session.screenState;
      if (state?.blocker) {
        throw new ClustrError("spawn_failed", state.blocker.message, {
          ...(state.blocker.hint ? { hint: state.blocker.hint } : {}),
          data: { blocker: state.blocker.id, screen: await session.settledScreen() },
        });
      }
      if (state?.prompt) {
        const count = answered[state.prompt.id] ?? 0;
        if (count < maxAnswersPerPrompt) {
          if (Date.now() - lastAnswerAt >= answerGapMs) {
            await answer(session, state.prompt, stepPauseMs);
            answered[state.prompt.id] = count + 1;
            lastAnswerAt = Date.now();
            options.onAnswer?.(state.prompt, count + 1);
          }
        } else {
          await reportNeedsInput(session, state, reported, options.onNeedsInput);
        }
      } else if (state?.activity === "needs-input" || session.activity === "needs-input") {
        if (state) await reportNeedsInput(session, state, reported, options.onNeedsInput);
      } else if (ready.state === "ready" && session.activity === "idle") {
        if (task === undefined) return { answered };
        const injected = await inject(session, task, { ...options.inject, submit: true, multiline: true });
        return { answered, injected };
      }

      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(TICK_MS, Math.max(0, deadline - Date.now()) + 1));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => undefined;
    }
  } finally {
    for (const subscription of subscriptions) subscription.dispose();
  }
}

async function answer(session: StartupSession, prompt: ScreenPrompt, stepPauseMs: number): Promise<void> {
  const steps = prompt.steps.length > 0 ? prompt.steps : [prompt.keys];
  for (const [index, step] of steps.entries()) {
    if (index > 0) await sleep(stepPauseMs);
    if (session.exit) return;
    session.write(step);
  }
}

async function reportNeedsInput(
  session: StartupSession,
  state: ScreenState,
  reported: Set<string>,
  onNeedsInput: StartupOptions["onNeedsInput"],
): Promise<void> {
  const screen = await session.settledScreen();
  if (reported.has(screen)) return;
  reported.add(screen);
  onNeedsInput?.(screen, state);
}
