import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { ClustrError } from "@clustr/protocol";

/** Symlink hops followed before giving up (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/** The config file Claude Code reads: `$CLAUDE_CONFIG_DIR/.claude.json`, else `~/.claude.json`. */
export function claudeConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.CLAUDE_CONFIG_DIR) return join(resolve(env.CLAUDE_CONFIG_DIR), ".claude.json");
  return join(env.HOME || homedir(), ".claude.json");
}

/** Follow symlinks to the file that really holds the content (which may not exist yet). */
function linkTarget(path: string): string {
  let current = path;
  for (let hop = 0; hop < MAX_LINKS; hop++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return current;
      throw error;
    }
    if (!isLink) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw new ClustrError("conflict", `${path}: too many levels of symbolic links`);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Read the config; undefined when the file does not exist. Invalid JSON throws. */
function readConfig(path: string): Json | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (text.trim() === "") return {};
  const value: unknown = JSON.parse(text);
  if (!isObject(value)) throw new SyntaxError("the top level is not an object");
  return value;
}

function isTrusted(config: Json | undefined, folder: string): boolean {
  const projects = config?.projects;
  if (!isObject(projects)) return false;
  const entry = projects[folder];
  return isObject(entry) && entry.hasTrustDialogAccepted === true;
}

function writeAtomically(target: string, content: string): void {
  let mode = 0o600;
  try {
    mode = statSync(target).mode & 0o777;
  } catch {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  }
  // The temporary file sits beside the target so the rename stays on one filesystem.
  const temp = join(dirname(target), `.${basename(target)}.clustr-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(temp, content, { mode, flag: "wx" });
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was left behind
    }
    throw error;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Result of {@link trustClaudeFolder}. */
export interface TrustResult {
  /** The file written (a symlink's target). */
  file: string;
  /** False when the folder was trusted already. */
  changed: boolean;
  /** Writes made (more than one when a running session rewrote the file in between). */
  writes: number;
}

/**
 * Pre-answer Claude Code's folder-trust question for `folder` by setting only
 * `projects[folder].hasTrustDialogAccepted = true` in `configPath`: every other key is kept,
 * a symlink is written through to its target, and the write is atomic (temp file + rename in
 * the target's folder). Running Claude sessions rewrite this file from their own copy, so the
 * key is checked again after `settleMs` and written again, up to `attempts` times.
 * Throws `conflict` when the file is not valid JSON (it is left untouched) or the key keeps
 * disappearing.
 */
export async function trustClaudeFolder(
  configPath: string,
  folder: string,
  { attempts = 5, settleMs = 200 }: { attempts?: number; settleMs?: number } = {},
): Promise<TrustResult> {
  const file = linkTarget(resolve(configPath));
  let writes = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let config: Json | undefined;
    try {
      config = readConfig(file);
    } catch (error) {
      // A session may be halfway through a non-atomic write: read again a moment later.
      if (!(error instanceof SyntaxError)) throw error;
      lastError = error;
      await sleep(settleMs);
      continue;
    }
    if (isTrusted(config, folder)) {
      if (writes === 0) return { file, changed: false, writes };
      // Our last write survived a settle period: done.
      if (attempt > 0) return { file, changed: true, writes };
    }
    if (!isTrusted(config, folder)) {
      const next: Json = { ...config };
      const projects = isObject(next.projects) ? { ...next.projects } : {};
      const entry = projects[folder];
      projects[folder] = { ...(isObject(entry) ? entry : {}), hasTrustDialogAccepted: true };
      next.projects = projects;
      writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`);
      writes++;
    }
    await sleep(settleMs);
  }
  const final = (() => {
    try {
      return readConfig(file);
    } catch (error) {
      lastError = error;
      return undefined;
    }
  })();
  if (writes > 0 && isTrusted(final, folder)) return { file, changed: true, writes };
  if (writes === 0 && lastError) {
    throw new ClustrError("conflict", `${file} is not valid JSON; it was left untouched`, { cause: lastError });
  }
  throw new ClustrError("conflict", `${file} kept being rewritten without the folder trust for ${folder}`);
}
