import type { PromptId, ScreenPrompt } from "./types.js";

/** Raw key strings as a terminal sends them. */
export const KEYS = {
  enter: "\r",
  up: "\x1b[A",
  down: "\x1b[B",
  esc: "\x1b",
} as const;

/**
 * Split screen text into lines without trailing spaces. Only ASCII spaces are trimmed: the
 * NO-BREAK SPACE after Claude's `❯` is part of what identifies its input line.
 */
export function screenLines(text: string): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.replace(/ +$/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Index of the `count`-th non-empty line counted from the bottom (0 when there are fewer). */
export function bottomStart(lines: readonly string[], count: number): number {
  let seen = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if ((lines[i] ?? "").trim() !== "") seen++;
    if (seen === count) return i;
  }
  return 0;
}

const HINT =
  /\b(?:enter to (?:confirm|submit|continue|select)|press enter|esc to cancel|esc dismiss|do you want to proceed\?)|\((?:y\/n|yes\/no)\)|\[(?:y\/n|Y\/n|y\/N)\]/i;

const CURSOR_LINE = /^(\s*)([❯›>])\s+(\S.*)$/;

/** True when the bottom of the screen waits for an answer: a key hint, a y/n, or a menu. */
export function looksLikeQuestion(lines: readonly string[], bottomLines = 12): boolean {
  const start = bottomStart(lines, bottomLines);
  const tail = lines.slice(start);
  if (tail.some((line) => HINT.test(line))) return true;
  return findMenu(lines, start) !== undefined;
}

/** One option of a menu, with the text after its cursor mark and number. */
export interface MenuOption {
  line: number;
  text: string;
  selected: boolean;
}

/**
 * Find a menu (a selected option with a cursor mark and at least one sibling at the same text
 * column) at or below line `from`. The last one on screen wins: menus sit at the bottom.
 */
export function findMenu(lines: readonly string[], from = 0): MenuOption[] | undefined {
  for (let i = lines.length - 1; i >= from; i--) {
    const match = CURSOR_LINE.exec(lines[i] ?? "");
    if (!match) continue;
    const column = (match[1] ?? "").length + 2;
    const textColumn = (lines[i] ?? "").indexOf(match[3] ?? "", column - 1);
    const options: MenuOption[] = [];
    // An option block is the run of non-blank lines around the cursor; lines indented
    // differently inside it are descriptions, not options.
    let top = i;
    while (top > 0 && (lines[top - 1] ?? "").trim() !== "") top--;
    let bottom = i;
    while (bottom < lines.length - 1 && (lines[bottom + 1] ?? "").trim() !== "") bottom++;
    for (let j = top; j <= bottom; j++) {
      const line = lines[j] ?? "";
      if (j === i) {
        options.push({ line: j, text: stripNumber(match[3] ?? ""), selected: true });
        continue;
      }
      const indent = line.length - line.trimStart().length;
      if (indent === textColumn && !HINT.test(line)) options.push({ line: j, text: stripNumber(line.trim()), selected: false });
    }
    if (options.length >= 2) return options;
  }
  return undefined;
}

function stripNumber(text: string): string {
  return text.replace(/^\d+\.\s+/, "");
}

/**
 * The answer that moves a menu's cursor to the first option matching `pick` and confirms it,
 * or undefined when the screen shows no menu or no such option.
 */
export function answerMenu(lines: readonly string[], id: PromptId, pick: RegExp, from = 0): ScreenPrompt | undefined {
  const menu = findMenu(lines, from);
  if (!menu) return undefined;
  const current = menu.findIndex((option) => option.selected);
  const target = menu.findIndex((option) => pick.test(option.text));
  if (current < 0 || target < 0) return undefined;
  const arrow = target > current ? KEYS.down : KEYS.up;
  const steps = [...Array.from({ length: Math.abs(target - current) }, () => arrow), KEYS.enter];
  return makePrompt(id, steps);
}

/** A prompt answered by the given key writes. */
export function makePrompt(id: PromptId, steps: string[]): ScreenPrompt {
  return { id, steps, keys: steps.join("") };
}
