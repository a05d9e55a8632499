import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IgnoreRules } from "../src/index.js";

// The rules are checked against git itself: whatever `git ls-files --others
// --exclude-standard` lists is what git does not ignore.

let temp: TempDir;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  temp = await makeTempDir("clustr-ignore-");
  // A home of our own, so the machine's git config plays no part for git or the rules.
  const home = join(temp.path, "home");
  mkdirSync(join(home, ".config", "git"), { recursive: true });
  env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), GIT_CONFIG_NOSYSTEM: "1" };
});

afterEach(async () => {
  await temp.cleanup();
});

function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env, encoding: "utf8" });
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Every file under `root` (relative, `/` separators), `.git` left out. */
function walk(root: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.name === ".git") continue;
    if (entry.isDirectory()) out.push(...walk(root, rel));
    else out.push(rel);
  }
  return out.sort();
}

const RULES = {
  ".gitignore": [
    "# a comment",
    "*.log",
    "!keep.log",
    "/build",
    "dist/",
    "docs/**/*.tmp",
    "**/cache",
    "a/**/z.txt",
    "foo?.txt",
    "[abc]x.txt",
    "[!d]y.md",
    "\\#hash.txt",
    "\\!bang.txt",
    "trailing.txt   ",
    "lib/*.o",
    "out/",
    "!out/keep.txt",
    "*.bak",
    "!important.bak",
    "range[0-3].dat",
    "everything/**",
    "",
  ].join("\n"),
  "sub/.gitignore": ["*.txt", "!notes.txt", "/local", "deep/", ""].join("\n"),
};

const FILES = [
  "app.log",
  "keep.log",
  "sub/keep.log",
  "build/x.js",
  "src/build/y.js",
  "dist/a.js",
  "src/dist/b.js",
  "lib2/dist",
  "docs/a/b/c.tmp",
  "docs/c.tmp",
  "docs/readme.md",
  "x/cache/f.js",
  "cache/g.js",
  "a/z.txt",
  "a/b/c/z.txt",
  "foo1.txt",
  "foo12.txt",
  "ax.txt",
  "dx.txt",
  "ay.md",
  "dy.md",
  "#hash.txt",
  "!bang.txt",
  "trailing.txt",
  "lib/m.o",
  "lib/sub/n.o",
  "out/keep.txt",
  "out/other.js",
  "w.bak",
  "important.bak",
  "range2.dat",
  "range7.dat",
  "everything/one/two.js",
  "sub/a.txt",
  "sub/notes.txt",
  "sub/local/f.js",
  "sub/x/local/f.js",
  "sub/deep/f.js",
  "sub/x/deep/f.js",
  "sub/code.js",
  "secret.env",
  "deeper/secret.key",
  "z.swp2",
  "global-ignored/f.js",
  "plain.js",
  "src/index.ts",
];

function makeRepo(): string {
  const repo = join(temp.path, "repo");
  mkdirSync(repo);
  gitIn(repo, "init", "-q");
  write(repo, RULES);
  write(repo, Object.fromEntries(FILES.map((f) => [f, "x\n"])));
  write(repo, { ".git/info/exclude": "secret*\n" });
  return repo;
}

function notIgnoredByGit(repo: string, under = ""): string[] {
  const out = gitIn(join(repo, under), "ls-files", "--others", "--exclude-standard", "-z", "--full-name", ".");
  const prefix = under === "" ? "" : `${under}/`;
  return out
    .split("\0")
    .filter((p) => p !== "")
    .map((p) => p.slice(prefix.length))
    .sort();
}

describe("IgnoreRules for paths met in any order", { timeout: 30_000 }, () => {
  it("ignores exactly what git ignores, with core.excludesFile from the repository config", () => {
    const repo = makeRepo();
    const excludes = join(temp.path, "my-excludes");
    writeFileSync(excludes, "*.swp2\nglobal-ignored/\n");
    gitIn(repo, "config", "core.excludesFile", excludes);

    const expected = notIgnoredByGit(repo);
    // The fixture exercises both sides.
    expect(expected).toContain("keep.log");
    expect(expected).not.toContain("z.swp2");
    const rules = new IgnoreRules(repo, { env });
    const actual = walk(repo).filter((p) => !rules.ignores(p, false));
    expect(actual).toEqual(expected);
  });

  it("reads the default excludes file under XDG_CONFIG_HOME when none is configured", () => {
    const repo = makeRepo();
    writeFileSync(join(env.XDG_CONFIG_HOME as string, "git", "ignore"), "*.swp2\nglobal-ignored/\n");

    const expected = notIgnoredByGit(repo);
    expect(expected).not.toContain("global-ignored/f.js");
    const rules = new IgnoreRules(repo, { env });
    expect(walk(repo).filter((p) => !rules.ignores(p, false))).toEqual(expected);
  });

  it("applies the rules of the whole work tree to a folder below its top", () => {
    const repo = makeRepo();
    const rules = new IgnoreRules(join(repo, "sub"), { env });
    const expected = notIgnoredByGit(repo, "sub");
    // `!keep.log` from the top re-includes; `/local` is anchored to sub only.
    expect(expected).toEqual([".gitignore", "code.js", "keep.log", "notes.txt", "x/local/f.js"]);
    expect(walk(join(repo, "sub")).filter((p) => !rules.ignores(p, false))).toEqual(expected);
  });

  it("checks folders by their trailing-slash rules, and whatever lies inside an ignored folder", () => {
    const repo = makeRepo();
    const rules = new IgnoreRules(repo, { env });
    expect(rules.ignores("dist", true)).toBe(true);
    expect(rules.ignores("dist", false)).toBe(false);
    // `!out/keep.txt` cannot re-include a file of an ignored folder: git never looks inside.
    expect(rules.ignores("out/keep.txt", false)).toBe(true);
    expect(rules.ignores("src/dist/deeper/x.js", false)).toBe(true);
    expect(rules.ignores("src/index.ts", false)).toBe(false);
  });

  it("uses .gitignore files in a folder that is not a git repository", () => {
    const folder = join(temp.path, "plain");
    write(folder, { ".gitignore": "*.log\n", "nested/.gitignore": "local/\n" });
    const rules = new IgnoreRules(folder, { env });
    expect(rules.ignores("a.log", false)).toBe(true);
    expect(rules.ignores("nested/local/x.js", false)).toBe(true);
    expect(rules.ignores("local/x.js", false)).toBe(false);
    expect(rules.ignores("a.js", false)).toBe(false);
  });

  it("sees a changed .gitignore once told to reload it", () => {
    const folder = join(temp.path, "plain");
    write(folder, { "pkg/.gitignore": "" });
    const rules = new IgnoreRules(folder, { env });
    expect(rules.ignores("pkg/later.txt", false)).toBe(false);
    writeFileSync(join(folder, "pkg", ".gitignore"), "later.txt\n");
    rules.reload("pkg");
    expect(rules.ignores("pkg/later.txt", false)).toBe(true);
  });

  it("agrees with git on letter case, reversed ranges, classes and brackets left open", () => {
    const folder = join(temp.path, "cases");
    mkdirSync(folder);
    gitIn(folder, "init", "-q");
    write(folder, { ".gitignore": ["*.LOG", "[z-a]", "[[:digit:]]x.txt", "x[", "y[]", "*.tmp", ""].join("\n") });
    const names = ["a.log", "a.LOG", "z", "a", "1x.txt", "ax.txt", "x[", "y[]", "t.tmp", "t.TMP"];
    write(folder, Object.fromEntries(names.map((name) => [name, "x\n"])));
    const expected = notIgnoredByGit(folder);
    // Both sides of each rule are present: case counts, `[z-a]` still matches its first
    // letter, and an open bracket matches nothing.
    expect(expected).toEqual([".gitignore", "a", "a.log", "ax.txt", "t.TMP", "x[", "y[]"]);
    const rules = new IgnoreRules(folder, { env });
    expect(walk(folder).filter((p) => !rules.ignores(p, false))).toEqual(expected);
  });
});
