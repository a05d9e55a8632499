import type { AgentKind } from "@clustr/protocol";
import { classifyClaudeScreen } from "./claude-screen.js";
import { classifyCodexScreen } from "./codex-screen.js";
import { looksLikeQuestion, screenLines } from "./screen-lines.js";
import type { ScreenState } from "./types.js";

/**
 * Read a command agent's screen. A plain program has no idle marker: its busy/idle comes from
 * output timing in the session, so the screen only tells whether it asks something (a menu,
 * a "Press Enter", a y/n) at the bottom.
 */
export function classifyCommandScreen(screenText: string): ScreenState {
  const lines = screenLines(screenText);
  return { activity: looksLikeQuestion(lines, 4) ? "needs-input" : "idle" };
}

/** Read a screen of the given agent kind; see the per-kind classifiers. */
export function classify(kind: AgentKind, screenText: string): ScreenState {
  switch (kind) {
    case "claude":
      return classifyClaudeScreen(screenText);
    case "codex":
      return classifyCodexScreen(screenText);
    case "command":
      return classifyCommandScreen(screenText);
  }
}
