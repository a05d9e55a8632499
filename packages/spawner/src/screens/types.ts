import type { AgentActivity } from "@clustr/protocol";

/** Startup and approval questions that screen recognition knows how to answer. */
export type PromptId =
  | "claude-theme"
  | "claude-security-notes"
  | "claude-folder-trust"
  | "claude-custom-api-key"
  | "claude-bypass-warning"
  | "claude-auto-mode-offer"
  | "codex-folder-trust"
  | "codex-mcp-approval"
  | "codex-update";

/** A recognised question and the keys that answer it. */
export interface ScreenPrompt {
  id: PromptId;
  /** Every key of the answer as one raw string (arrows, then Enter). */
  keys: string;
  /**
   * The same keys as separate writes. TUIs built on Ink read one key per chunk, so an arrow and
   * the Enter that follows it must reach the terminal as separate writes with a short pause.
   */
  steps: string[];
}

/** A recognised screen that no key can get past: the agent needs the user or a fix. */
export interface ScreenBlocker {
  id: "claude-offline" | "codex-login";
  message: string;
  hint?: string;
}

/** What a screen says about its program: the activity, and what can be typed or answered. */
export interface ScreenState {
  activity: AgentActivity;
  prompt?: ScreenPrompt;
  /** What the input line shows (placeholders count as empty); absent when there is no input line. */
  inputText?: string;
  blocker?: ScreenBlocker;
}
