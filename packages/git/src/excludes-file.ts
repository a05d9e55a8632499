import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** A file's text, or undefined when it cannot be read (most often: it does not exist). */
export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
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
 * The global excludes file git would read for a work tree (`top`, and `commonDir` where its
 * `config` lives; undefined outside git): `core.excludesFile` from the system, XDG, global
 * and repository config (the most specific wins; the system file is skipped under
 * GIT_CONFIG_NOSYSTEM, as git does), else `$XDG_CONFIG_HOME/git/ignore`.
 */
export function globalExcludesFile(repo: { top: string; commonDir: string } | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, ".config");
  // Lowest precedence first: git reads system, XDG, global, then repository config.
  const configs = [join(xdg, "git", "config"), join(home, ".gitconfig")];
  if (!env.GIT_CONFIG_NOSYSTEM) configs.unshift("/etc/gitconfig");
  if (repo) configs.push(join(repo.commonDir, "config"));
  let file: string | undefined;
  for (const config of configs) {
    const text = readText(config);
    const value = text === undefined ? undefined : excludesFileIn(text);
    if (value !== undefined) file = value;
  }
  if (file === undefined) return join(xdg, "git", "ignore");
  const expanded = expandHome(file, home);
  return isAbsolute(expanded) ? expanded : resolve(repo?.top ?? home, expanded);
}
