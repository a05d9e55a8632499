import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isClustrError } from "@clustr/protocol";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { createCheckpointer, type Checkpointer } from "../src/index.js";
import { git, mtimes, shadowFiles } from "./helpers.js";

let tmp: TempDir;
let checkpointer: Checkpointer;
let checkpointsDir: string;

beforeEach(async () => {
  tmp = await makeTempDir("clustr-git-");
  checkpointsDir = join(tmp.path, "data", "checkpoints");
  checkpointer = createCheckpointer({ checkpointsDir });
});
afterEach(async () => {
  await tmp.cleanup();
});

function project(name = "proj"): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isClustrError(error), `expected a ClustrError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

describe("checkpoint", () => {
  it("never touches the project's .git, index, refs, stash or files", async () => {
    const dir = project();
    git(dir, ["init", "-q"]);
    writeFileSync(join(dir, ".gitignore"), ".env\n");
    writeFileSync(join(dir, "a.txt"), "one\n");
    writeFileSync(join(dir, "b.txt"), "bee\n");
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-qm", "init"]);
    writeFileSync(join(dir, "a.txt"), "stashed\n");
    git(dir, ["stash", "-q"]);
    writeFileSync(join(dir, "b.txt"), "staged\n");
    git(dir, ["add", "b.txt"]);
    writeFileSync(join(dir, "a.txt"), "unstaged\n");
    writeFileSync(join(dir, "untracked.txt"), "new\n");
    writeFileSync(join(dir, ".env"), "SECRET=1\n");

    const status = git(dir, ["status", "--porcelain"]);
    const stash = git(dir, ["stash", "list"]);
    const refs = git(dir, ["for-each-ref"]);
    // Taken after the git commands above, which may refresh the index themselves.
    const index = readFileSync(join(dir, ".git", "index"));
    const times = mtimes(dir);

    const result = await checkpointer.checkpoint(dir, { ref: "agent-1" });

    expect(mtimes(dir)).toEqual(times);
    expect(readFileSync(join(dir, ".git", "index")).equals(index)).toBe(true);
    expect(git(dir, ["status", "--porcelain"])).toBe(status);
    expect(git(dir, ["stash", "list"])).toBe(stash);
    expect(git(dir, ["for-each-ref"])).toBe(refs);
    expect(status).toContain("untracked.txt");
    // The working state is what gets stored, not HEAD or the index.
    expect(shadowFiles(checkpointer.shadowRepo(dir), result.commit)).toEqual([".gitignore", "a.txt", "b.txt", "untracked.txt"]);
    const gitdir = checkpointer.shadowRepo(dir);
    expect(gitdir.startsWith(checkpointsDir)).toBe(true);
    expect(git(tmp.path, ["--git-dir", gitdir, "show", `${result.commit}:a.txt`])).toBe("unstaged\n");
    expect(git(tmp.path, ["--git-dir", gitdir, "rev-parse", "refs/clustr/agent-1"]).trim()).toBe(result.commit);
  });

  it("works in a folder that is not a git repository, with spaces and dots in its path", async () => {
    const dir = project("my project.v2.d");
    writeFileSync(join(dir, "readme.md"), "hi\n");
    mkdirSync(join(dir, "sub dir"));
    writeFileSync(join(dir, "sub dir", "x.y.z"), "x\n");
    const result = await checkpointer.checkpoint(dir, { ref: "a" });
    expect(shadowFiles(checkpointer.shadowRepo(dir), result.commit)).toEqual(["readme.md", "sub dir/x.y.z"]);
    expect(result.files).toBe(2);
    expect(() => statSync(join(dir, ".git"))).toThrow();
  });

  it("leaves out what git would ignore: nested .gitignore, info/exclude, core.excludesFile", async () => {
    const dir = project();
    git(dir, ["init", "-q"]);
    const excludes = join(tmp.path, "global-excludes");
    writeFileSync(excludes, "*.log\n");
    git(dir, ["config", "core.excludesFile", excludes]);
    writeFileSync(join(dir, ".git", "info", "exclude"), "secret-notes.txt\n");
    writeFileSync(join(dir, ".gitignore"), "node_modules/\n.env\nbuild/\n!keep.env\n");
    writeFileSync(join(dir, ".env"), "TOKEN=x\n");
    writeFileSync(join(dir, "keep.env"), "public\n");
    writeFileSync(join(dir, "secret-notes.txt"), "s\n");
    writeFileSync(join(dir, "debug.log"), "log\n");
    mkdirSync(join(dir, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "dep", "index.js"), "x\n");
    mkdirSync(join(dir, "build"));
    writeFileSync(join(dir, "build", "out.js"), "x\n");
    mkdirSync(join(dir, "pkg", "deep"), { recursive: true });
    writeFileSync(join(dir, "pkg", ".gitignore"), "*.tmp\n!important.tmp\n");
    writeFileSync(join(dir, "pkg", "a.tmp"), "t\n");
    writeFileSync(join(dir, "pkg", "important.tmp"), "t\n");
    writeFileSync(join(dir, "pkg", "deep", "b.tmp"), "t\n");
    writeFileSync(join(dir, "pkg", "deep", "code.ts"), "c\n");
    mkdirSync(join(dir, "pkg", "node_modules"));
    writeFileSync(join(dir, "pkg", "node_modules", "x.js"), "x\n");

    const expected = git(dir, ["ls-files", "--others", "--exclude-standard", "--cached"]).split("\n").filter(Boolean).sort();
    const result = await checkpointer.checkpoint(dir, { ref: "a" });
    const stored = shadowFiles(checkpointer.shadowRepo(dir), result.commit);
    expect(stored).toEqual(expected);
    expect(stored).toEqual([".gitignore", "keep.env", "pkg/.gitignore", "pkg/deep/code.ts", "pkg/important.tmp"]);
  });

  it("applies the .gitignore files above a folder inside a work tree", async () => {
    const top = project();
    git(top, ["init", "-q"]);
    writeFileSync(join(top, ".gitignore"), "*.secret\n");
    const dir = join(top, "packages", "app");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "key.secret"), "k\n");
    writeFileSync(join(dir, "main.ts"), "m\n");
    const result = await checkpointer.checkpoint(dir, { ref: "a" });
    expect(shadowFiles(checkpointer.shadowRepo(dir), result.commit)).toEqual(["main.ts"]);
  });

  it("hashes again only what changed, and sees a change that restored size and mtime", async () => {
    const dir = project();
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`);
    const old = new Date(Date.now() - 60_000);
    for (let i = 0; i < 20; i++) utimesSync(join(dir, `f${i}.txt`), old, old);
    // Files changed within the last second are hashed every time (their times may not move on
    // the next change yet): let these settle, as the files of a real project have.
    await new Promise((r) => setTimeout(r, 1200));
    const first = await checkpointer.checkpoint(dir, { ref: "a" });
    expect(first.hashed).toBe(20);
    const second = await checkpointer.checkpoint(dir, { ref: "a" });
    expect(second.hashed).toBe(0);
    expect(second.tree).toBe(first.tree);

    // Same size, mtime put back: only the ctime (and a full-precision stat) tells.
    const file = join(dir, "f3.txt");
    writeFileSync(file, "FILE 3\n");
    utimesSync(file, old, old);
    const third = await checkpointer.checkpoint(dir, { ref: "a" });
    expect(third.hashed).toBe(1);
    expect(git(tmp.path, ["--git-dir", checkpointer.shadowRepo(dir), "show", `${third.commit}:f3.txt`])).toBe("FILE 3\n");

    // A fresh checkpointer (a restarted server) reads the stat cache back from disk.
    const again = await createCheckpointer({ checkpointsDir }).checkpoint(dir, { ref: "a" });
    expect(again.hashed).toBe(1); // f3.txt was changed moments ago: hashed again until it settles
    expect(again.tree).toBe(third.tree);
  });

  it("narrows the scan to the paths a watcher reports, giving the same tree as a full scan", async () => {
    const dir = project();
    mkdirSync(join(dir, "src"));
    for (let i = 0; i < 10; i++) writeFileSync(join(dir, "src", `f${i}.ts`), `${i}\n`);
    const base = await checkpointer.checkpoint(dir, { ref: "a" });
    writeFileSync(join(dir, "src", "f1.ts"), "changed\n");
    rmSync(join(dir, "src", "f2.ts"));
    mkdirSync(join(dir, "src", "new"));
    writeFileSync(join(dir, "src", "new", "n.ts"), "n\n");
    const hinted = await checkpointer.checkpoint(dir, {
      ref: "a",
      changedPathsHint: { since: base.commit, paths: ["src/f1.ts", "src/f2.ts", "src/new"] },
    });
    const full = await createCheckpointer({ checkpointsDir: join(tmp.path, "other") }).checkpoint(dir, { ref: "a" });
    expect(hinted.tree).toBe(full.tree);
    expect(shadowFiles(checkpointer.shadowRepo(dir), hinted.commit)).toContain("src/new/n.ts");
    expect(shadowFiles(checkpointer.shadowRepo(dir), hinted.commit)).not.toContain("src/f2.ts");

    // A hint relative to an older checkpoint is not trusted: the full scan finds everything.
    writeFileSync(join(dir, "unreported.txt"), "u\n");
    const stale = await checkpointer.checkpoint(dir, { ref: "a", changedPathsHint: { since: base.commit, paths: [] } });
    expect(shadowFiles(checkpointer.shadowRepo(dir), stale.commit)).toContain("unreported.txt");
  });

  it("follows ignore rules that change between checkpoints", async () => {
    const dir = project();
    git(dir, ["init", "-q"]);
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    writeFileSync(join(dir, "a", "b", "x.tmp"), "x\n");
    writeFileSync(join(dir, "a", "b", "y.txt"), "y\n");
    const files = async (): Promise<string[]> =>
      shadowFiles(checkpointer.shadowRepo(dir), (await checkpointer.checkpoint(dir, { ref: "a" })).commit);
    expect(await files()).toEqual(["a/b/x.tmp", "a/b/y.txt"]);
    writeFileSync(join(dir, "a", ".gitignore"), "*.tmp\n");
    expect(await files()).toEqual(["a/.gitignore", "a/b/y.txt"]);
    writeFileSync(join(dir, "a", ".gitignore"), "*.txt\n");
    expect(await files()).toEqual(["a/.gitignore", "a/b/x.tmp"]);
    rmSync(join(dir, "a", ".gitignore"));
    writeFileSync(join(dir, ".git", "info", "exclude"), "b/\n");
    expect(await files()).toEqual([]);
    writeFileSync(join(dir, ".git", "info", "exclude"), "");
    expect(await files()).toEqual(["a/b/x.tmp", "a/b/y.txt"]);
  });

  it("scans everything when a hinted path is a .gitignore", async () => {
    const dir = project();
    writeFileSync(join(dir, ".gitignore"), "*.log\n");
    writeFileSync(join(dir, "a.log"), "log\n");
    writeFileSync(join(dir, "a.txt"), "a\n");
    const base = await checkpointer.checkpoint(dir, { ref: "a" });
    expect(shadowFiles(checkpointer.shadowRepo(dir), base.commit)).toEqual([".gitignore", "a.txt"]);
    writeFileSync(join(dir, ".gitignore"), "\n");
    const next = await checkpointer.checkpoint(dir, { ref: "a", changedPathsHint: { since: base.commit, paths: [".gitignore"] } });
    expect(shadowFiles(checkpointer.shadowRepo(dir), next.commit)).toEqual([".gitignore", "a.log", "a.txt"]);
  });

  it("serializes concurrent checkpoints of one folder into valid, distinct commits", async () => {
    const dir = project();
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, `f${i}.txt`), `${i}\n`);
    const results = await Promise.all(
      ["one", "two", "three", "four"].map(async (ref, i) => {
        writeFileSync(join(dir, `extra-${i}.txt`), `${ref}\n`);
        return checkpointer.checkpoint(dir, { ref, message: `checkpoint for ${ref}` });
      }),
    );
    const gitdir = checkpointer.shadowRepo(dir);
    git(tmp.path, ["--git-dir", gitdir, "fsck", "--strict", "--no-dangling"]);
    expect(new Set(results.map((r) => r.commit)).size).toBe(4);
    for (const r of results) {
      expect(git(tmp.path, ["--git-dir", gitdir, "rev-parse", r.ref]).trim()).toBe(r.commit);
      expect(shadowFiles(gitdir, r.commit).length).toBeGreaterThanOrEqual(51);
    }
  });

  it("keeps every checkpoint through git gc --prune=now of the shadow repository", async () => {
    const dir = project();
    writeFileSync(join(dir, "a.txt"), "v1\n");
    const first = await checkpointer.checkpoint(dir, { ref: "agent-1" });
    writeFileSync(join(dir, "a.txt"), "v2\n");
    const second = await checkpointer.checkpoint(dir, { ref: "agent-2" });
    writeFileSync(join(dir, "a.txt"), "v3\n");
    const third = await checkpointer.checkpoint(dir, { ref: "agent-1" });
    const gitdir = checkpointer.shadowRepo(dir);
    git(tmp.path, ["--git-dir", gitdir, "gc", "-q", "--prune=now"]);
    git(tmp.path, ["--git-dir", gitdir, "fsck", "--strict", "--no-dangling"]);
    for (const [c, v] of [
      [first.commit, "v1\n"],
      [second.commit, "v2\n"],
      [third.commit, "v3\n"],
    ] as const) {
      expect(git(tmp.path, ["--git-dir", gitdir, "show", `${c}:a.txt`])).toBe(v);
    }
    // Packed objects are read back, and new checkpoints still build on the packed ones.
    const files = await createCheckpointer({ checkpointsDir }).diff(dir, first.commit);
    expect(files.map((f) => f.path)).toEqual(["a.txt"]);
    writeFileSync(join(dir, "b.txt"), "b\n");
    const fourth = await checkpointer.checkpoint(dir, { ref: "agent-1" });
    git(tmp.path, ["--git-dir", gitdir, "fsck", "--strict", "--no-dangling"]);
    expect(shadowFiles(gitdir, fourth.commit)).toEqual(["a.txt", "b.txt"]);
  });

  it("stores executable bits, symlinks, binary, CRLF, unicode and dash-leading names", async () => {
    const dir = project();
    writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(dir, "run.sh"), 0o755);
    writeFileSync(join(dir, "crlf.txt"), "a\r\nb\r\n");
    writeFileSync(join(dir, "blob.bin"), Buffer.from([0, 255, 1, 254, 0, 13, 10]));
    writeFileSync(join(dir, "héllo wörld ✓.txt"), "unicode\n");
    writeFileSync(join(dir, "-rf"), "dash\n");
    symlinkSync("run.sh", join(dir, "link"));
    symlinkSync("/nonexistent/target", join(dir, "dangling"));
    const result = await checkpointer.checkpoint(dir, { ref: "a" });
    const gitdir = checkpointer.shadowRepo(dir);
    const tree = git(tmp.path, ["--git-dir", gitdir, "ls-tree", "-r", result.commit]);
    expect(tree).toMatch(/^100755 blob \S+\trun\.sh$/m);
    expect(tree).toMatch(/^120000 blob \S+\tlink$/m);
    expect(tree).toMatch(/^100644 blob \S+\t-rf$/m);
    expect(git(tmp.path, ["--git-dir", gitdir, "show", `${result.commit}:link`])).toBe("run.sh");
    expect(git(tmp.path, ["--git-dir", gitdir, "show", `${result.commit}:dangling`])).toBe("/nonexistent/target");
    expect(git(tmp.path, ["--git-dir", gitdir, "show", `${result.commit}:crlf.txt`])).toBe("a\r\nb\r\n");
    expect(shadowFiles(gitdir, result.commit)).toContain("héllo wörld ✓.txt");
    // Same ids as git's own hashing of the same bytes.
    expect(git(dir, ["hash-object", "--no-filters", "blob.bin"]).trim()).toBe(
      git(tmp.path, ["--git-dir", gitdir, "rev-parse", `${result.commit}:blob.bin`]).trim(),
    );
    git(tmp.path, ["--git-dir", gitdir, "fsck", "--strict"]);
  });

  it("never stores the data folder when it lies inside the project folder", async () => {
    const home = project("home");
    writeFileSync(join(home, "notes.txt"), "n\n");
    const dataDir = join(home, ".clustr");
    mkdirSync(join(dataDir, "agents"), { recursive: true });
    writeFileSync(join(dataDir, "server.json"), "{\"token\":\"secret\"}\n");
    writeFileSync(join(dataDir, "clustr.db"), "db\n");
    const inside = createCheckpointer({ checkpointsDir: join(dataDir, "checkpoints") });
    const first = await inside.checkpoint(home, { ref: "a" });
    expect(shadowFiles(inside.shadowRepo(home), first.commit)).toEqual(["notes.txt"]);
    writeFileSync(join(dataDir, "clustr.db"), "db changed\n");
    const hinted = await inside.checkpoint(home, {
      ref: "a",
      changedPathsHint: { since: first.commit, paths: [".clustr/clustr.db", ".clustr"] },
    });
    expect(shadowFiles(inside.shadowRepo(home), hinted.commit)).toEqual(["notes.txt"]);
    expect(await inside.diff(home, first.commit)).toEqual([]);
    const rolled = await inside.rollback(home, first.commit);
    expect(rolled.changed).toEqual([]);
    expect(readFileSync(join(dataDir, "clustr.db"), "utf8")).toBe("db changed\n");
  });

  it("refuses bad input with a clear error and writes nothing", async () => {
    const dir = project();
    writeFileSync(join(dir, "a.txt"), "a\n");
    await expectCode(checkpointer.checkpoint(join(tmp.path, "missing"), { ref: "a" }), "cwd_not_found");
    await expectCode(checkpointer.checkpoint(join(dir, "a.txt"), { ref: "a" }), "cwd_not_found");
    await expectCode(checkpointer.checkpoint(dir, { ref: "../escape" }), "validation_failed");
    await expectCode(checkpointer.checkpoint(dir, { ref: "bad ref" }), "validation_failed");
    expect(() => statSync(checkpointsDir)).toThrow();
    await expectCode(checkpointer.diff(dir, "0".repeat(40)), "not_found");
    const { commit } = await checkpointer.checkpoint(dir, { ref: "a" });
    await expectCode(checkpointer.diff(dir, "not-a-commit"), "validation_failed");
    await expectCode(checkpointer.diff(dir, "0".repeat(40)), "not_found");
    await expectCode(
      checkpointer.checkpoint(dir, { ref: "a", changedPathsHint: { since: commit, paths: ["../outside"] } }),
      "validation_failed",
    );
  });
});
