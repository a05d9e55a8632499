import { answerMenu, bottomStart, findMenu, looksLikeQuestion, screenLines } from "./screen-lines.js";
import type { ScreenPrompt, ScreenState } from "./types.js";

/** Footer lines below the composer: model and folder, shortcuts, warnings badge. */
const MAX_FOOTER_LINES = 3;
const MAX_COMPOSER_LINES = 40;
/**
 * Placeholders Codex shows in an empty composer (dimmed on screen, plain in the text). A task
 * equal to one of them reads as empty, which only costs a submit retry check.
 */
const PLACEHOLDERS = new Set([
  "Ask Codex to do anything",
  "Explain this codebase",
  "Summarize recent commits",
  "Implement {feature}",
  "Find and fix a bug in @filename",
  "Write tests for @filename",
  "Improve documentation in @filename",
  "Run /review on my current changes",
]);
const HINT = /enter to (?:submit|confirm|continue)|enter continue|press enter|esc to cancel|esc back|esc dismiss/i;

interface Composer {
  line: number;
  text: string;
  /**
   * The status line (`<model> <effort> · <cwd>`, `← for agents`) is drawn once Codex has
   * loaded. Before that the composer already shows, but the trust check may still come and
   * typed text can be lost.
   */
  loaded: boolean;
}

/** The composer: the last `› ` line at column 0 with only its continuation lines and a footer below. */
function findComposer(lines: readonly string[]): Composer | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? "";
    if (!/^›(?: |$)/.test(line)) continue;
    // A menu cursor at column 0 (the trust screen) is not the composer.
    if (/^› \d+\. /.test(line)) return undefined;
    let end = i + 1;
    while (end < lines.length && end - i < MAX_COMPOSER_LINES && /^ {2}\S/.test(lines[end] ?? "")) end++;
    const rest = lines.slice(end).filter((l) => l.trim() !== "");
    if (rest.length > MAX_FOOTER_LINES || rest.some((l) => HINT.test(l))) return undefined;
    const body = [line.slice(2), ...lines.slice(i + 1, end).map((l) => l.slice(2))].join("\n").trimEnd();
    const loaded = rest.some((l) => / · |for agents/.test(l));
    return { line: i, text: PLACEHOLDERS.has(body) ? "" : body, loaded };
  }
  return undefined;
}

function isBusy(lines: readonly string[], composer: Composer): boolean {
  // The status line (`• Working (2s • esc to interrupt)`) sits above the composer, with queued
  // follow-ups possibly between them.
  const above = lines.slice(Math.max(0, composer.line - 8), composer.line);
  return above.some((line) => /esc to interrupt\)/i.test(line) && /^\s*[•◦·]?\s*\S/.test(line));
}

function recognisePrompt(lines: readonly string[], text: string): ScreenPrompt | undefined {
  const approval = /Allow the (\S+) MCP server to run tool/.exec(text);
  if (approval) {
    // Only the clustr server's tools are approved automatically; any other server's call
    // is the user's to allow.
    return approval[1] === "clustr" ? answerMenu(lines, "codex-mcp-approval", /^Allow\b(?! for)(?!.*session)/) : undefined;
  }
  if (/Trust this folder\?|Do you trust the contents of this (?:directory|project)|allow Codex to work in this folder|You are running Codex in/i.test(text)) {
    return answerMenu(lines, "codex-folder-trust", /^(?:Yes|Allow Codex|Trust)\b/i);
  }
  if (/Update available!/.test(text) && findMenu(lines)) {
    return answerMenu(lines, "codex-update", /^Skip\b(?! until)/);
  }
  return undefined;
}

/**
 * Read a Codex CLI screen (0.169): idle or busy when its composer is shown (busy while the
 * status line below it has not appeared yet: Codex is still loading), the folder trust,
 * update and clustr MCP approval questions with the keys that answer them, other questions as
 * `needs-input`, and `busy` while it is still drawing its first screen.
 */
export function classifyCodexScreen(screenText: string): ScreenState {
  const lines = screenLines(screenText);
  const composer = findComposer(lines);
  if (composer) return { activity: !composer.loaded || isBusy(lines, composer) ? "busy" : "idle", inputText: composer.text };
  const tail = lines.slice(bottomStart(lines, 30));
  const tailText = tail.join("\n");
  const prompt = recognisePrompt(tail, tailText);
  if (prompt) return { activity: "needs-input", prompt };
  if (/Sign in with ChatGPT/.test(tailText)) {
    return {
      activity: "needs-input",
      blocker: {
        id: "codex-login",
        message: "Codex is not signed in and has no model provider configured",
        hint: "run `codex login`, or configure a model provider in $CODEX_HOME/config.toml",
      },
    };
  }
  if (looksLikeQuestion(lines)) return { activity: "needs-input" };
  return { activity: "busy" };
}

