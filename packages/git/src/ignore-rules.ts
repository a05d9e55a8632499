import { statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { globalExcludesFile, readText } from "./excludes-file.js";

/** One source of ignore patterns, matched against paths relative to `base` (top-relative). */
interface Matcher {
  /** Folder the patterns are relative to, as a top-relative path ("" for the top). */
  base: string;
  ig: Ignore;
}

/** Where the project's git metadata lives, when the folder is inside a git work tree. */
export interface ProjectRepo {
  /** The work tree's top folder. */
  top: string;
  /** The gitdir (`.git` folder, or where a `.git` file points). */
  gitdir: string;
  /** Where shared files live (`info/exclude`, `config`): a linked worktree's main gitdir. */
  commonDir: string;
}

/** A linked worktree's gitdir names the shared one in its `commondir` file. */
function withCommonDir(top: string, gitdir: string): ProjectRepo {
  const common = readText(join(gitdir, "commondir"))?.trim();
  return { top, gitdir, commonDir: common ? resolve(gitdir, common) : gitdir };
}

/** Find the git work tree holding `folder` (the folder itself or an ancestor), if any. */
export function findProjectRepo(folder: string): ProjectRepo | undefined {
  let dir = resolve(folder);
  for (;;) {
    const dotGit = join(dir, ".git");
    let isDir: boolean | undefined;
    try {
      isDir = statSync(dotGit).isDirectory();
    } catch {
      isDir = undefined;
    }
    if (isDir !== undefined) {
      if (isDir) return withCommonDir(dir, dotGit);
      // A worktree or submodule: `.git` is a file naming the real gitdir.
      const match = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? "");
      if (match?.[1]) return withCommonDir(dir, resolve(dir, match[1]));
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The rule sources outside a folder, and a key that changes when any of them does. */
export interface BaseSources {
  /** The folder's path relative to the work tree's top ("" at the top or outside git). */
  prefix: string;
  key: string;
  sources: { text: string; base: string }[];
}

/**
 * Read the rule sources outside `folder`: `core.excludesFile` (found through `env`'s HOME and
 * XDG_CONFIG_HOME), `info/exclude`, and the `.gitignore` files above it in its work tree.
 */
export function baseSources(folder: string, env: NodeJS.ProcessEnv = process.env): BaseSources {
  const abs = resolve(folder);
  const repo = findProjectRepo(abs);
  const top = repo?.top ?? abs;
  const prefix = relative(top, abs).split(sep).join("/");
  const sources: { text: string; base: string }[] = [];
  const add = (text: string | undefined, base: string): void => {
    if (text !== undefined) sources.push({ text, base });
  };
  add(readText(globalExcludesFile(repo, env)), "");
  if (repo) add(readText(join(repo.commonDir, "info", "exclude")), "");
  // .gitignore files of the folder's ancestors inside the work tree apply to it too.
  if (prefix !== "") {
    const parts = prefix.split("/");
    for (let i = 0; i < parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      add(readText(join(top, rel, ".gitignore")), rel);
    }
  }
  return { prefix, key: JSON.stringify([prefix, sources]), sources };
}

// Git compares names case-sensitively unless core.ignoreCase is set, which only a
// case-insensitive file system calls for; the library's default is the opposite.
const compile = (text: string): Ignore => ignore({ ignorecase: false }).add(text);

/** Options of {@link IgnoreRules}. */
export interface IgnoreRulesOptions {
  /** Where HOME, XDG_CONFIG_HOME and GIT_CONFIG_NOSYSTEM are read from (default: `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The sources outside the folder, when already read with {@link baseSources}. */
  base?: BaseSources;
}

/**
 * Git's ignore rules for one folder: `core.excludesFile`, `.git/info/exclude`, and
 * `.gitignore` files at every depth (those above the folder too, up to the work tree's top).
 * Outside a git work tree the folder stands for the top, so its `.gitignore` files still
 * count. Paths are given relative to the folder, with `/` separators.
 *
 * A walk from the top asks {@link isIgnored} and reports each listing ({@link noteListing});
 * a caller meeting paths in any order (a file watcher) asks {@link ignores} and calls
 * {@link reload} when it sees a `.gitignore` change.
 */
export class IgnoreRules {
  /** The folder's path relative to the top (work tree top, or the folder itself). */
  private readonly prefix: string;
  private readonly base: Matcher[] = [];
  /** Each folder's `.gitignore`: its text (undefined: none) and the matcher built from it. */
  private readonly perDir = new Map<string, { text: string | undefined; m: Matcher | null }>();
  private readonly chains = new Map<string, Matcher[]>();
  /** Answers of {@link ignores} for folders, until a `.gitignore` changes. */
  private readonly folderAnswers = new Map<string, boolean>();
  /** The text of every rule source outside the folder: equal keys mean equal base rules. */
  readonly baseKey: string;

  constructor(
    readonly folder: string,
    options: IgnoreRulesOptions = {},
  ) {
    const base = options.base ?? baseSources(folder, options.env);
    this.prefix = base.prefix;
    this.baseKey = base.key;
    for (const { text, base: baseRel } of base.sources) {
      if (text.trim() !== "") this.base.push({ base: baseRel, ig: compile(text) });
    }
  }

  private topRel(rel: string): string {
    return this.prefix === "" ? rel : rel === "" ? this.prefix : `${this.prefix}/${rel}`;
  }

  private loadDir(dir: string, text: string | undefined): Matcher | null {
    const m = text !== undefined && text.trim() !== "" ? { base: this.topRel(dir), ig: compile(text) } : null;
    this.perDir.set(dir, { text, m });
    return m;
  }

  /** The matcher of `<dir>/.gitignore` (dir relative to the folder), loaded once. */
  private dirMatcher(dir: string): Matcher | null {
    const known = this.perDir.get(dir);
    return known === undefined ? this.loadDir(dir, readText(join(this.folder, dir, ".gitignore"))) : known.m;
  }

  /** The matchers that apply inside folder `dir` (relative), most precedent last; built once per folder. */
  private matchersFor(dir: string): Matcher[] {
    let list = this.chains.get(dir);
    if (!list) {
      const parent = dir === "" ? this.base : this.matchersFor(dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) : "");
      const own = this.dirMatcher(dir);
      list = own ? [...parent, own] : parent;
      this.chains.set(dir, list);
    }
    return list;
  }

  /**
   * Whether git would ignore `rel` (relative to the folder). The caller walks top-down and
   * never asks about entries inside an ignored folder (git never looks inside one either).
   */
  isIgnored(rel: string, isDir: boolean): boolean {
    const slash = rel.lastIndexOf("/");
    const matchers = this.matchersFor(slash < 0 ? "" : rel.slice(0, slash));
    if (matchers.length === 0) return false;
    const topRel = this.topRel(rel);
    // Deeper files take precedence over shallower ones, and within one file the last match wins.
    for (let i = matchers.length - 1; i >= 0; i--) {
      const m = matchers[i];
      if (!m) continue;
      const local = m.base === "" ? topRel : topRel.slice(m.base.length + 1);
      const result = m.ig.test(isDir ? `${local}/` : local);
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  }

  /**
   * Tell the rules whether folder `dir` holds a `.gitignore` (the caller has just listed it),
   * before asking about anything inside. Rules are kept from one scan to the next, with the
   * library's per-path results; a `.gitignore` whose text moved is loaded again, and the
   * chains of matchers rebuilt.
   */
  noteListing(dir: string, hasGitignore: boolean): void {
    this.update(dir, hasGitignore ? readText(join(this.folder, dir, ".gitignore")) : undefined);
  }

  /**
   * Whether git would ignore `rel` (relative to the folder): the path itself, or a folder
   * above it, since git never looks inside an ignored folder. For paths met in any order;
   * answers for folders are remembered until {@link reload}.
   */
  ignores(rel: string, isDir: boolean): boolean {
    for (let end = rel.indexOf("/"); end !== -1; end = rel.indexOf("/", end + 1)) {
      if (this.folderIgnored(rel.slice(0, end))) return true;
    }
    return isDir ? this.folderIgnored(rel) : this.isIgnored(rel, false);
  }

  /** Read `<dir>/.gitignore` (dir relative to the folder) again: it was written or removed. */
  reload(dir: string): void {
    this.update(dir, readText(join(this.folder, dir, ".gitignore")));
  }

  private folderIgnored(dir: string): boolean {
    let answer = this.folderAnswers.get(dir);
    if (answer === undefined) {
      answer = this.isIgnored(dir, true);
      this.folderAnswers.set(dir, answer);
    }
    return answer;
  }

  private update(dir: string, text: string | undefined): void {
    const known = this.perDir.get(dir);
    if (known !== undefined && known.text === text) return;
    // Chains exist only for folders whose matchers were loaded: a first load changes none.
    if (known !== undefined) this.chains.clear();
    this.folderAnswers.clear();
    this.loadDir(dir, text);
  }
}
