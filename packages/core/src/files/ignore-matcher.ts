import { readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { findGitLocation, globalExcludesFile } from "./git-location.js";
import { matchRule, parseIgnoreFile, type IgnoreRule } from "./gitignore-pattern.js";

/** Folder names never watched, whatever the ignore files say. */
const ALWAYS_IGNORED = new Set([".git", "node_modules"]);

function readRules(file: string): IgnoreRule[] {
  // Most folders have no ignore file: a stat that does not throw is far cheaper there than
  // a failed read, and this runs once for every folder the watcher reads.
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return [];
  try {
    return parseIgnoreFile(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
}

const toSlashes = (path: string): string => (sep === "/" ? path : path.split(sep).join("/"));

/** Options of {@link GitIgnoreMatcher}. */
export interface GitIgnoreMatcherOptions {
  /** Where HOME and XDG_CONFIG_HOME are read from (default: `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Decides, for paths under `root`, what git would ignore there: `.gitignore` files at any
 * depth (including those between the work tree's top and `root`), `info/exclude` and
 * `core.excludesFile`, plus `.git` and `node_modules` folders anywhere. Outside a git work
 * tree, `root` stands for the top, so `.gitignore` files still count there.
 *
 * Ignore files are read lazily, once per folder; call {@link invalidate} when one changes.
 * `info/exclude` and the excludes file are read once, when the matcher is made.
 */
export class GitIgnoreMatcher {
  /** The folder paths are checked under. */
  readonly root: string;
  /** The work tree's top (or `root` outside git): the base of top-level ignore rules. */
  readonly top: string;
  private readonly rootFromTop: string;
  private readonly baseRules: IgnoreRule[];
  private readonly folderRules = new Map<string, IgnoreRule[]>();
  private readonly folderDecisions = new Map<string, boolean>();

  constructor(root: string, options: GitIgnoreMatcherOptions = {}) {
    this.root = root;
    const location = findGitLocation(root);
    this.top = location?.top ?? root;
    this.rootFromTop = toSlashes(relative(this.top, root));
    // Lowest precedence first: the excludes file, then info/exclude.
    this.baseRules = [
      ...readRules(globalExcludesFile(location, options.env)),
      ...(location ? readRules(join(location.commonDir, "info", "exclude")) : []),
    ];
  }

  /**
   * Whether `path` (absolute, under `root`) is ignored. `isDir` says it is a folder, which
   * patterns ending in `/` need; its parent folders are always checked as folders, so a
   * file inside an ignored folder is ignored.
   */
  ignores(path: string, isDir: boolean): boolean {
    const rel = toSlashes(relative(this.root, path));
    if (rel === "" || rel === ".." || rel.startsWith("../")) return false;
    return this.ignoresRelative(rel, isDir);
  }

  /** Like {@link ignores}, for a path relative to `root` with `/` separators. */
  ignoresRelative(rel: string, isDir: boolean): boolean {
    const parts = rel.split("/");
    if (parts.some((part) => ALWAYS_IGNORED.has(part))) return true;
    const prefix = this.rootFromTop === "" ? "" : `${this.rootFromTop}/`;
    // Git never looks inside an ignored folder, so nothing under one can be re-included.
    let folder = prefix;
    for (let i = 0; i < parts.length - 1; i++) {
      folder += parts[i];
      if (this.folderIgnored(folder)) return true;
      folder += "/";
    }
    const fromTop = prefix + rel;
    return isDir ? this.folderIgnored(fromTop) : this.decide(fromTop, false);
  }

  /** Forget what was read from the ignore file in `folder` (absolute), and every decision. */
  invalidate(folder?: string): void {
    if (folder === undefined) this.folderRules.clear();
    else this.folderRules.delete(toSlashes(relative(this.top, folder)));
    this.folderDecisions.clear();
  }

  private folderIgnored(fromTop: string): boolean {
    let decision = this.folderDecisions.get(fromTop);
    if (decision === undefined) {
      decision = this.decide(fromTop, true);
      this.folderDecisions.set(fromTop, decision);
    }
    return decision;
  }

  /** The last matching rule decides; deeper ignore files come after shallower ones. */
  private decide(fromTop: string, isDir: boolean): boolean {
    let end = fromTop.lastIndexOf("/");
    while (end !== -1) {
      const folder = fromTop.slice(0, end);
      const decision = lastMatch(this.rulesOf(folder), fromTop.slice(end + 1), isDir);
      if (decision !== undefined) return decision;
      end = folder.lastIndexOf("/");
    }
    return lastMatch(this.rulesOf(""), fromTop, isDir) ?? lastMatch(this.baseRules, fromTop, isDir) ?? false;
  }

  private rulesOf(folder: string): IgnoreRule[] {
    let rules = this.folderRules.get(folder);
    if (rules === undefined) {
      rules = readRules(join(this.top, folder, ".gitignore"));
      this.folderRules.set(folder, rules);
    }
    return rules;
  }
}

function lastMatch(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean | undefined {
  for (let i = rules.length - 1; i >= 0; i--) {
    const decision = matchRule(rules[i] as IgnoreRule, path, isDir);
    if (decision !== undefined) return decision;
  }
  return undefined;
}
