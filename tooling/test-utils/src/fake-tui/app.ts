import { appendFileSync } from "node:fs";
import { KeyReader, type Key } from "./keys.js";

/** A line of the fake programs' JSON log (`FAKE_TUI_LOG`). */
export type FakeTuiEvent =
  | { event: "start"; argv: string[]; cwd: string; env: Record<string, string> }
  | { event: "screen"; id: string }
  | { event: "answer"; screen: string; choice: string }
  | { event: "submit"; text: string; toolsReady: boolean }
  | { event: "queued"; text: string }
  | { event: "interrupt"; text: string }
  | { event: "done"; text: string }
  | { event: "mcp-tools"; names: string[] }
  | { event: "mcp-error"; message: string }
  | { event: "exit"; code: number };

/** A menu on screen: its options and which one the cursor is on. */
export interface Menu {
  options: string[];
  cursor: number;
}

/** Shared plumbing of the fake CLIs: raw input, drawing, the event log, exiting. */
export class FakeApp {
  readonly rows = process.stdout.rows || 24;
  readonly columns = process.stdout.columns || 80;
  private readonly logFile = process.env.FAKE_TUI_LOG;
  private readonly reader = new KeyReader();
  private readonly cleanups: Array<() => void> = [];

  constructor(onKeys: (keys: Key[]) => void) {
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => onKeys(this.reader.feed(chunk)));
    process.stdin.on("end", () => this.exit(0));
    process.on("SIGTERM", () => this.exit(143));
    process.on("SIGHUP", () => this.exit(129));
  }

  log(event: FakeTuiEvent): void {
    if (this.logFile) appendFileSync(this.logFile, `${JSON.stringify(event)}\n`);
  }

  onExit(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Redraw the whole screen: clear, then the lines from the top. */
  draw(lines: string[]): void {
    const visible = lines.slice(-this.rows).map((line) => line.slice(0, this.columns));
    process.stdout.write(`\x1b[H\x1b[2J${visible.join("\r\n")}`);
  }

  /** A full-width `─` rule, as Claude Code draws around its input box. */
  rule(): string {
    return "─".repeat(Math.min(this.columns, 160));
  }

  exit(code: number, message?: string): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.log({ event: "exit", code });
    if (message) process.stdout.write(`\r\n${message}\r\n`);
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.exit(code);
  }
}

/** Move a menu's cursor for an arrow key; true when the key was an arrow. */
export function moveCursor(menu: Menu, key: Key): boolean {
  if (key.type === "up") menu.cursor = Math.max(0, menu.cursor - 1);
  else if (key.type === "down") menu.cursor = Math.min(menu.options.length - 1, menu.cursor + 1);
  else return false;
  return true;
}

/** Environment variables of interest to tests: the bridge identity and the fake's own. */
export function interestingEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && (key.startsWith("CLUSTR_") || key === "ENABLE_TOOL_SEARCH" || key === "IS_SANDBOX")) out[key] = value;
  }
  return out;
}

/** Milliseconds a turn stays busy (`FAKE_TUI_BUSY_MS`, default 300). */
export function busyMs(): number {
  const value = Number(process.env.FAKE_TUI_BUSY_MS ?? "300");
  return Number.isFinite(value) && value >= 0 ? value : 300;
}

/** The startup screens asked for in `FAKE_TUI_STARTUP` (comma-separated ids). */
export function startupScreens(): string[] {
  return (process.env.FAKE_TUI_STARTUP ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
}
