import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FakeTuiEvent } from "./app.js";

export type { FakeTuiEvent } from "./app.js";
export { KeyReader, type Key } from "./keys.js";

/** Absolute path of the fake Claude Code script (run it with `process.execPath`). */
export const fakeClaudeScript = fileURLToPath(new URL("../../dist/fake-tui/fake-claude.js", import.meta.url));
/** Absolute path of the fake Codex script (run it with `process.execPath`). */
export const fakeCodexScript = fileURLToPath(new URL("../../dist/fake-tui/fake-codex.js", import.meta.url));

/** Settings of a fake CLI, passed to it as `FAKE_TUI_*` variables. */
export interface FakeTuiOptions {
  /** Startup questions in order: claude `theme, security, trust, api-key, bypass, auto-mode,
   *  unknown`; codex `trust, update`. */
  startup?: string[];
  /** JSON-lines log of what happened ({@link FakeTuiEvent}). */
  log?: string;
  /** How long a turn stays busy, in ms (default 300). */
  busyMs?: number;
  /** claude: "2.1.330" (default) or "2.1.197", which draw different screens. */
  version?: string;
  /** The reply shown when a turn ends (default "DONE"). */
  reply?: string;
  /** codex: `server:tool` asked for approval in every turn. */
  approval?: string;
  /** codex: how long the loading frame shows, in ms (default 200); keys typed then are lost. */
  loadMs?: number;
}

/** The `FAKE_TUI_*` environment for the given options. */
export function fakeTuiEnv(options: FakeTuiOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (options.startup) env.FAKE_TUI_STARTUP = options.startup.join(",");
  if (options.log) env.FAKE_TUI_LOG = options.log;
  if (options.busyMs !== undefined) env.FAKE_TUI_BUSY_MS = String(options.busyMs);
  if (options.version) env.FAKE_TUI_VERSION = options.version;
  if (options.reply) env.FAKE_TUI_REPLY = options.reply;
  if (options.approval) env.FAKE_TUI_APPROVAL = options.approval;
  if (options.loadMs !== undefined) env.FAKE_TUI_LOAD_MS = String(options.loadMs);
  return env;
}

/**
 * Write an executable `path` that runs the fake CLI with these options baked in, so it can
 * stand in for `claude` or `codex` (as CLUSTR_CLAUDE_BIN / CLUSTR_CODEX_BIN or on PATH).
 */
export function writeFakeCli(path: string, kind: "claude" | "codex", options: FakeTuiOptions = {}): string {
  const script = kind === "claude" ? fakeClaudeScript : fakeCodexScript;
  const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
  const exports = Object.entries(fakeTuiEnv(options)).map(([key, value]) => `export ${key}=${quote(value)}\n`);
  writeFileSync(path, `#!/bin/sh\n${exports.join("")}exec ${quote(process.execPath)} ${quote(script)} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The events a fake CLI logged so far (an empty list before it wrote any). */
export function readFakeTuiLog(path: string): FakeTuiEvent[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as FakeTuiEvent);
}
