import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";

/** The git work tree a folder belongs to. */
export interface GitLocation {
  /** The work tree's top folder. */
  top: string;
  /** Where `info/exclude` and `config` live (the common gitdir of a linked worktree). */
  commonDir: string;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function kindOf(path: string): "dir" | "file" | undefined {
  try {
    return statSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return undefined;
  }
}

/** The work tree holding `folder` (itself or an ancestor), or undefined outside git. */
export function findGitLocation(folder: string): GitLocation | undefined {
  let dir = resolve(folder);
  for (;;) {
    const dotGit = join(dir, ".git");
    const kind = kindOf(dotGit);
    let gitdir: string | undefined;
    if (kind === "dir") gitdir = dotGit;
    else if (kind === "file") {
      // Linked worktrees and submodules: `.git` is a file naming the real gitdir.
      const match = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? "");
      if (match?.[1]) gitdir = resolve(dir, match[1]);
    }
    if (gitdir !== undefined) {
      const common = readText(join(gitdir, "commondir"))?.trim();
      return { top: dir, commonDir: common ? resolve(gitdir, common) : gitdir };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The last `core.excludesFile` value in a git config text (includes are not followed). */
export function excludesFileIn(config: string): string | undefined {
  let section = "";
  let value: string | undefined;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (header) {
      section = (header[1] ?? "").toLowerCase();
      continue;
    }
    if (section !== "core") continue;
    const entry = /^excludesfile\s*=\s*(.*)$/i.exec(line);
    if (entry) value = unquote(entry[1] ?? "");
  }
  return value === "" ? undefined : value;
}

/** A config value without its quotes, escapes and trailing comment. */
function unquote(text: string): string {
  let out = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') quoted = !quoted;
    else if (ch === "\\" && i + 1 < text.length) out += text[++i] as string;
    else if ((ch === "#" || ch === ";") && !quoted) break;
    else out += ch;
  }
  return out.trim();
}

function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}

/**
 * The global excludes file git would read for this work tree: `core.excludesFile` from the
 * repository, global, XDG and system config (the most specific wins; the system file is
 * skipped under GIT_CONFIG_NOSYSTEM, as git does), else `$XDG_CONFIG_HOME/git/ignore`.
 */
export function globalExcludesFile(location: GitLocation | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, ".config");
  // Lowest precedence first: git reads system, XDG, global, then repository config.
  const configs = [join(xdg, "git", "config"), join(home, ".gitconfig")];
  if (!env.GIT_CONFIG_NOSYSTEM) configs.unshift("/etc/gitconfig");
  if (location) configs.push(join(location.commonDir, "config"));
  let file: string | undefined;
  for (const config of configs) {
    const text = readText(config);
    const value = text === undefined ? undefined : excludesFileIn(text);
    if (value !== undefined) file = value;
  }
  if (file === undefined) return join(xdg, "git", "ignore");
  const expanded = expandHome(file, home);
  return isAbsolute(expanded) ? expanded : resolve(location?.top ?? home, expanded);
}
