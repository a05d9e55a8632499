import { KEYS, answerMenu, bottomStart, looksLikeQuestion, makePrompt, screenLines } from "./screen-lines.js";
import type { ScreenPrompt, ScreenState } from "./types.js";

const RULE = /^\s*─{8,}\s*$/;
/** The top rule of an input box scrolled inside itself (2.1.330): `─── ↑ 670 more ───`. */
const SCROLLED_TOP = /^\s*─{2,}\s*↑\s*\d+\s+more\s*─{2,}/;
/** Lines a footer below the input box may hold (mode line, hints, notices). */
const MAX_FOOTER_LINES = 5;
const MAX_INPUT_LINES = 40;
/** Spinner glyphs of a running turn; a finished turn uses ✻ too but never ends its verb with `…`. */
const SPINNER = /^\s*[·✢✳✶✻✽*]\s+\S[^…]*…/;
const PLACEHOLDERS = [/^Press up to edit queued messages$/, /^Try "[^"]*"$/];

interface InputBox {
  top: number;
  bottom: number;
  text: string;
}

/** The input box: `❯` and the text between two `─` rules, with at most a short footer below. */
function findInputBox(lines: readonly string[]): InputBox | undefined {
  for (let bottom = lines.length - 1; bottom > 0; bottom--) {
    if (!RULE.test(lines[bottom] ?? "")) continue;
    const footer = lines.slice(bottom + 1).filter((line) => line.trim() !== "");
    if (footer.length > MAX_FOOTER_LINES) return undefined;
    for (let top = bottom - 1; top >= 0 && bottom - top <= MAX_INPUT_LINES; top--) {
      if (SCROLLED_TOP.test(lines[top] ?? "")) {
        // 2.1.330 scrolls a tall input inside its box: the `❯` line is among the lines hidden.
        const text = lines.slice(top + 1, bottom).map((line) => line.replace(/^ {2}/, "")).join("\n").replace(/[\s\u00a0]+$/, "");
        return { top, bottom, text };
      }
      if (!RULE.test(lines[top] ?? "")) continue;
      const first = lines[top + 1] ?? "";
      if (top + 1 >= bottom || !/^[❯>][\u00a0 ]?/.test(first)) return undefined;
      const body = [first.replace(/^[❯>][\u00a0 ]?/, ""), ...lines.slice(top + 2, bottom).map((line) => line.replace(/^ {2}/, ""))];
      const text = body.join("\n").replace(/[\s\u00a0]+$/, "");
      return { top, bottom, text: PLACEHOLDERS.some((p) => p.test(text)) ? "" : text };
    }
    return tallInputBox(lines, bottom);
  }
  return undefined;
}

/**
 * An input box taller than the screen (a long task typed in as text): its top rule and `❯`
 * have scrolled away, and every line above the bottom rule is an indented line of the input.
 * Its text is the part still shown.
 */
function tallInputBox(lines: readonly string[], bottom: number): InputBox | undefined {
  const above = lines.slice(0, bottom);
  if (above.length < MAX_INPUT_LINES / 2) return undefined;
  if (above.some((line) => RULE.test(line) || (line !== "" && !/^ {2}\S/.test(line)))) return undefined;
  const text = above.map((line) => line.replace(/^ {2}/, "")).join("\n").replace(/[\s\u00a0]+$/, "");
  return { top: -1, bottom, text };
}

function isBusy(lines: readonly string[], box: InputBox): boolean {
  if (lines.slice(box.bottom + 1).some((line) => /esc to interrupt/i.test(line))) return true;
  // The spinner sits just above the input box (a queued message or a notice may come between).
  const above = lines.slice(Math.max(0, box.top - 6), box.top);
  return above.some((line) => SPINNER.test(line) || /\(.*esc to interrupt.*\)/i.test(line));
}

function recognisePrompt(lines: readonly string[], text: string): ScreenPrompt | undefined {
  if (/Choose the text style that looks best with your terminal|Syntax theme:/.test(text)) {
    return makePrompt("claude-theme", [KEYS.enter]);
  }
  if (/Security notes:/.test(text) && /Press Enter to continue/i.test(text)) {
    return makePrompt("claude-security-notes", [KEYS.enter]);
  }
  if (/Is this a project you created or one you trust\?|Do you trust the files in this folder\?/.test(text)) {
    return answerMenu(lines, "claude-folder-trust", /^Yes\b/);
  }
  if (/Detected a custom API key in your environment/.test(text)) {
    return answerMenu(lines, "claude-custom-api-key", /^Yes\b/);
  }
  if (/Bypass Permissions mode/.test(text) && /Yes, I accept/.test(text)) {
    return answerMenu(lines, "claude-bypass-warning", /^Yes, I accept/);
  }
  if (/Make auto mode your default permission mode\?/.test(text)) {
    return answerMenu(lines, "claude-auto-mode-offer", /^No\b/);
  }
  return undefined;
}

/**
 * Read a Claude Code screen (2.1.197 and 2.1.330): idle or busy when its input box is shown,
 * a known startup question with the keys that answer it, any other question as `needs-input`,
 * and `busy` while it is still drawing its first screen.
 */
export function classifyClaudeScreen(screenText: string): ScreenState {
  const lines = screenLines(screenText);
  const box = findInputBox(lines);
  if (box) return { activity: isBusy(lines, box) ? "busy" : "idle", inputText: box.text };
  // Only the bottom of the screen counts: a question scrolled away is answered already.
  const tail = lines.slice(bottomStart(lines, 30));
  const tailText = tail.join("\n");
  const prompt = recognisePrompt(tail, tailText);
  if (prompt) return { activity: "needs-input", prompt };
  if (/Unable to connect to Anthropic services/.test(tailText)) {
    return {
      activity: "busy",
      blocker: {
        id: "claude-offline",
        message: "Claude Code could not reach Anthropic's servers during its first-run check",
        hint: "finish Claude Code's first run once by hand (`claude`), or set ANTHROPIC_AUTH_TOKEN instead of ANTHROPIC_API_KEY",
      },
    };
  }
  if (looksLikeQuestion(lines)) return { activity: "needs-input" };
  return { activity: "busy" };
}
