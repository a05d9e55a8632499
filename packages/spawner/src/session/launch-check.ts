import { statSync } from "node:fs";
import { resolve } from "node:path";
import { ClustrError } from "@clustr/protocol";
import { resolveExecutable } from "../adapters/resolve-executable.js";

/** Variables that describe the terminal this process runs in, not the one the child gets. */
const FOREIGN_TERMINAL_VARS = ["TMUX", "TMUX_PANE", "STY", "WINDOW", "WINDOWID", "TERMCAP", "COLUMNS", "LINES"];

/** Throw `cwd_not_found` unless `cwd` is an existing folder; returns it absolute. */
export function checkCwd(cwd: string): string {
  const absolute = resolve(cwd);
  let isDir: boolean;
  try {
    isDir = statSync(absolute).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ClustrError("cwd_not_found", `the folder ${absolute} does not exist`, { data: { cwd: absolute } });
  return absolute;
}

/** Find the program before anything starts: its absolute path, or a typed launch error. */
export function checkExecutable(file: string, env: NodeJS.ProcessEnv, cwd: string, installHint?: string): string {
  return resolveExecutable(file, env, cwd, installHint);
}

/**
 * The child's environment: the given one without undefined values and without this process's
 * own terminal's variables, with TERM and COLORTERM matching the emulator, and SHLVL set: a
 * bash that sees SSH_CLIENT and a shell level below 2 reads ~/.bashrc as if sshd had started
 * it, which was measured here to add half a second to every shell a CLI runs.
 */
export function ptyEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  for (const key of FOREIGN_TERMINAL_VARS) delete out[key];
  out.TERM = "xterm-256color";
  out.COLORTERM = "truecolor";
  out.SHLVL ??= "1";
  return out;
}
