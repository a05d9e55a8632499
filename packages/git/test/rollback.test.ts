import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isClustrError, RollbackResponseSchema } from "@clustr/protocol";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { createCheckpointer, type Checkpointer } from "../src/index.js";
import { describeTree, git, mtimes } from "./helpers.js";

let tmp: TempDir;
let checkpointer: Checkpointer;

beforeEach(async () => {
  tmp = await makeTempDir("clustr-git-rb-");
  checkpointer = createCheckpointer({ checkpointsDir: join(tmp.path, "data", "checkpoints") });
});
afterEach(async () => {
  await tmp.cleanup();
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isClustrError(error), `expected a ClustrError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** A project with every kind of file the checkpoints must keep byte for byte. */
function makeProject(name = "my proj.v1"): string {
  const dir = join(tmp.path, name);
  mkdirSync(join(dir, "src", "deep"), { recursive: true });
  git(dir, ["init", "-q"]);
  writeFileSync(join(dir, ".gitignore"), "node_modules/\n.env\n*.log\n");
  writeFileSync(join(dir, "src", "main.ts"), "export const a = 1;\n");
  writeFileSync(join(dir, "src", "deep", "x.txt"), "deep\n");
  writeFileSync(join(dir, "crlf.txt"), "l1\r\nl2\r\n");
  writeFileSync(join(dir, "data.bin"), Buffer.from([0, 1, 2, 3, 255, 0, 13, 10]));
  writeFileSync(join(dir, "run.sh"), "#!/bin/sh\n");
  chmodSync(join(dir, "run.sh"), 0o755);
  writeFileSync(join(dir, "ünï cödé.txt"), "unicode\n");
  writeFileSync(join(dir, "--help"), "dash\n");
  symlinkSync("src/main.ts", join(dir, "main-link"));
  writeFileSync(join(dir, ".env"), "SECRET=before\n");
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-qm", "init"]);
  return dir;
}

/** Change everything: edit, delete, add, re-mode, re-link, replace a file with a folder. */
function mutate(dir: string): void {
  writeFileSync(join(dir, "src", "main.ts"), "export const a = 2;\n");
  rmSync(join(dir, "src", "deep"), { recursive: true });
  writeFileSync(join(dir, "crlf.txt"), "l1\nl2\n");
  writeFileSync(join(dir, "data.bin"), Buffer.from([9, 9, 0]));
  chmodSync(join(dir, "run.sh"), 0o644);
  rmSync(join(dir, "ünï cödé.txt"));
  rmSync(join(dir, "--help"));
  rmSync(join(dir, "main-link"));
  symlinkSync("crlf.txt", join(dir, "main-link"));
  mkdirSync(join(dir, "added", "nested"), { recursive: true });
  writeFileSync(join(dir, "added", "nested", "n.ts"), "n\n");
  writeFileSync(join(dir, "added", "debug.log"), "ignored, and must survive\n");
  writeFileSync(join(dir, "new.txt"), "new\n");
  writeFileSync(join(dir, ".env"), "SECRET=after\n");
}

describe("rollback", () => {
  it("previews every change with who made it, writing nothing", async () => {
    const dir = makeProject();
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    mutate(dir);
    const gitdir = checkpointer.shadowRepo(dir);
    const before = { tree: describeTree(dir), times: mtimes(dir), shadow: mtimes(gitdir) };
    const preview = await checkpointer.rollback(dir, commit, {
      preview: true,
      agentId: "agent1",
      changedBy: new Map([["new.txt", ["user"]], ["src/main.ts", ["agent1", "agent2"]]]),
    });
    RollbackResponseSchema.parse(preview);
    expect(preview.undoCheckpointId).toBeNull();
    expect(preview.changed).toEqual([
      { path: "--help", status: "deleted", changedBy: ["agent1"] },
      { path: "added/nested/n.ts", status: "added", changedBy: ["agent1"] },
      { path: "crlf.txt", status: "modified", changedBy: ["agent1"] },
      { path: "data.bin", status: "modified", changedBy: ["agent1"] },
      { path: "main-link", status: "modified", changedBy: ["agent1"] },
      { path: "new.txt", status: "added", changedBy: ["user"] },
      { path: "run.sh", status: "modified", changedBy: ["agent1"] },
      { path: "src/deep/x.txt", status: "deleted", changedBy: ["agent1"] },
      { path: "src/main.ts", status: "modified", changedBy: ["agent1", "agent2"] },
      { path: "ünï cödé.txt", status: "deleted", changedBy: ["agent1"] },
    ]);
    expect(describeTree(dir)).toEqual(before.tree);
    expect(mtimes(dir)).toEqual(before.times);
    expect(mtimes(gitdir)).toEqual(before.shadow);

    const byFunction = await checkpointer.rollback(dir, commit, { preview: true, changedBy: (p) => (p === "new.txt" ? ["user"] : []) });
    expect(byFunction.changed.find((c) => c.path === "new.txt")?.changedBy).toEqual(["user"]);
    expect(byFunction.changed.find((c) => c.path === "run.sh")?.changedBy).toEqual([]);
  });

  it("restores every kind of file byte for byte, removes what was created, keeps ignored files, and can be undone", async () => {
    const dir = makeProject();
    const original = describeTree(dir);
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    mutate(dir);
    const mutated = describeTree(dir);
    const status = git(dir, ["status", "--porcelain"]);

    const result = await checkpointer.rollback(dir, commit, { agentId: "agent1" });
    RollbackResponseSchema.parse(result);
    expect(result.changed).toHaveLength(10);
    expect(result.undoCheckpointId).toMatch(/^[0-9a-f]{40}$/);

    const restored = describeTree(dir);
    // Ignored files are never touched: .env keeps its new content, added/debug.log stays.
    expect(restored[".env"]).toBe(mutated[".env"]);
    expect(restored["added/debug.log"]).toBe(mutated["added/debug.log"]);
    expect(restored["added/nested/"]).toBeUndefined(); // emptied by the rollback, so removed
    const withoutIgnored = (t: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(t).filter(([p]) => p !== ".env" && !p.startsWith("added")));
    expect(withoutIgnored(restored)).toEqual(withoutIgnored(original));
    expect(readlinkSync(join(dir, "main-link"))).toBe("src/main.ts");
    expect(statSync(join(dir, "run.sh")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, "crlf.txt"))).toEqual(Buffer.from("l1\r\nl2\r\n"));
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    expect(await checkpointer.diff(dir, commit)).toEqual([]);

    const undone = await checkpointer.undoRollback(dir, result.undoCheckpointId ?? "", { agentId: "agent1" });
    expect(undone.changed.map((c) => c.path).sort()).toEqual(result.changed.map((c) => c.path).sort());
    expect(describeTree(dir)).toEqual(mutated);
    expect(git(dir, ["status", "--porcelain"])).toBe(status);
  });

  it("rolls back only the paths asked for (files or folders)", async () => {
    const dir = makeProject();
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    mutate(dir);
    const result = await checkpointer.rollback(dir, commit, { paths: ["src", "new.txt"] });
    expect(result.changed.map((c) => c.path)).toEqual(["new.txt", "src/deep/x.txt", "src/main.ts"]);
    expect(readFileSync(join(dir, "src", "main.ts"), "utf8")).toBe("export const a = 1;\n");
    expect(readFileSync(join(dir, "src", "deep", "x.txt"), "utf8")).toBe("deep\n");
    expect(existsSync(join(dir, "new.txt"))).toBe(false);
    expect(readFileSync(join(dir, "crlf.txt"), "utf8")).toBe("l1\nl2\n"); // not asked for
    expect(existsSync(join(dir, "added", "nested", "n.ts"))).toBe(true);
  });

  it("refuses paths that leave the folder, touching nothing", async () => {
    const dir = makeProject();
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    mutate(dir);
    const before = describeTree(dir);
    for (const bad of ["../outside", "/etc/passwd", "src/../../x", "a\0b", ".git/config"]) {
      await expectCode(checkpointer.rollback(dir, commit, { paths: [bad] }), "validation_failed");
    }
    await expectCode(checkpointer.rollback(dir, "f".repeat(40)), "not_found");
    await expectCode(checkpointer.undoRollback(dir, commit), "bad_request");
    expect(describeTree(dir)).toEqual(before);
  });

  it("brings back a file that a folder replaced, unless the folder holds ignored files", async () => {
    const dir = join(tmp.path, "proj");
    mkdirSync(dir);
    writeFileSync(join(dir, ".gitignore"), "*.log\n");
    writeFileSync(join(dir, "notes"), "a file\n");
    writeFileSync(join(dir, "kept"), "another file\n");
    mkdirSync(join(dir, "tree"));
    writeFileSync(join(dir, "tree", "leaf.txt"), "leaf\n");
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    rmSync(join(dir, "notes"));
    mkdirSync(join(dir, "notes", "sub"), { recursive: true });
    writeFileSync(join(dir, "notes", "sub", "n.md"), "n\n");
    rmSync(join(dir, "kept"));
    mkdirSync(join(dir, "kept"));
    writeFileSync(join(dir, "kept", "trace.log"), "ignored\n");
    rmSync(join(dir, "tree"), { recursive: true });
    writeFileSync(join(dir, "tree"), "now a file\n");

    const result = await checkpointer.rollback(dir, commit);
    expect(result.changed.map((c) => [c.path, c.status])).toEqual([
      ["notes", "deleted"],
      ["notes/sub/n.md", "added"],
      ["tree", "added"],
      ["tree/leaf.txt", "deleted"],
    ]);
    expect(readFileSync(join(dir, "notes"), "utf8")).toBe("a file\n");
    expect(readFileSync(join(dir, "tree", "leaf.txt"), "utf8")).toBe("leaf\n");
    // "kept" holds an ignored file: it is left alone rather than deleted.
    expect(readFileSync(join(dir, "kept", "trace.log"), "utf8")).toBe("ignored\n");
  });

  it("never follows a symlink out of the folder", async () => {
    const dir = join(tmp.path, "proj");
    const outside = join(tmp.path, "outside");
    mkdirSync(join(dir, "lib"), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(dir, "lib", "a.txt"), "inside\n");
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    // The folder lib/ is replaced by a symlink pointing outside: restoring lib/a.txt through
    // it would write outside the project.
    rmSync(join(dir, "lib"), { recursive: true });
    symlinkSync(outside, join(dir, "lib"));
    const result = await checkpointer.rollback(dir, commit);
    expect(result.changed.map((c) => [c.path, c.status])).toEqual([
      ["lib", "added"],
      ["lib/a.txt", "deleted"],
    ]);
    expect(existsSync(join(outside, "a.txt"))).toBe(false);
    expect(statSync(join(dir, "lib")).isDirectory()).toBe(true);
    expect(readFileSync(join(dir, "lib", "a.txt"), "utf8")).toBe("inside\n");

    // Only the file asked for, with the symlink left in place: refused, nothing written.
    rmSync(join(dir, "lib"), { recursive: true });
    symlinkSync(outside, join(dir, "lib"));
    await expectCode(checkpointer.rollback(dir, commit, { paths: ["lib/a.txt"] }), "conflict");
    expect(existsSync(join(outside, "a.txt"))).toBe(false);
  });

  it("works in a linked worktree: its exclude rules, and refused while its own index is locked", async () => {
    const main = join(tmp.path, "main");
    mkdirSync(main);
    git(main, ["init", "-q"]);
    writeFileSync(join(main, "f.txt"), "f\n");
    git(main, ["add", "-A"]);
    git(main, ["commit", "-qm", "base"]);
    writeFileSync(join(main, ".git", "info", "exclude"), "*.secret\n");
    const wt = join(tmp.path, "wt dir");
    git(main, ["worktree", "add", "-q", "--detach", wt]);
    writeFileSync(join(wt, "key.secret"), "k\n");
    writeFileSync(join(wt, "new.txt"), "n\n");
    const { commit } = await checkpointer.checkpoint(wt, { ref: "agent1" });
    expect(git(tmp.path, ["--git-dir", checkpointer.shadowRepo(wt), "ls-tree", "-r", "--name-only", commit]).trim().split("\n")).toEqual([
      "f.txt",
      "new.txt",
    ]);
    writeFileSync(join(wt, "f.txt"), "changed\n");
    const wtGitdir = git(wt, ["rev-parse", "--absolute-git-dir"]).trim();
    writeFileSync(join(wtGitdir, "index.lock"), "");
    await expectCode(checkpointer.rollback(wt, commit), "repo_busy");
    expect(readFileSync(join(wt, "f.txt"), "utf8")).toBe("changed\n");
    rmSync(join(wtGitdir, "index.lock"));
    const done = await checkpointer.rollback(wt, commit);
    expect(done.changed.map((c) => c.path)).toEqual(["f.txt"]);
    expect(readFileSync(join(wt, "f.txt"), "utf8")).toBe("f\n");
    expect(readFileSync(join(wt, "key.secret"), "utf8")).toBe("k\n");
  });

  it("is refused during a merge or while the index is locked, with nothing touched", async () => {
    const dir = join(tmp.path, "proj");
    mkdirSync(dir);
    git(dir, ["init", "-q"]);
    writeFileSync(join(dir, "f.txt"), "base\n");
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-qm", "base"]);
    git(dir, ["checkout", "-qb", "other"]);
    writeFileSync(join(dir, "f.txt"), "other\n");
    git(dir, ["commit", "-qam", "other"]);
    git(dir, ["checkout", "-q", "main"]);
    writeFileSync(join(dir, "f.txt"), "main\n");
    git(dir, ["commit", "-qam", "main"]);
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent1" });
    expect(() => git(dir, ["merge", "other"])).toThrow(); // conflict: MERGE_HEAD stays
    expect(existsSync(join(dir, ".git", "MERGE_HEAD"))).toBe(true);
    const before = { tree: describeTree(dir, new Set()), shadow: mtimes(checkpointer.shadowRepo(dir)) };
    await expectCode(checkpointer.rollback(dir, commit), "repo_busy");
    await expectCode(checkpointer.rollback(dir, commit, { preview: true }), "repo_busy");
    expect(describeTree(dir, new Set())).toEqual(before.tree);
    expect(mtimes(checkpointer.shadowRepo(dir))).toEqual(before.shadow);

    git(dir, ["merge", "--abort"]);
    writeFileSync(join(dir, ".git", "index.lock"), "");
    await expectCode(checkpointer.rollback(dir, commit), "repo_busy");
    rmSync(join(dir, ".git", "index.lock"));
    const done = await checkpointer.rollback(dir, commit);
    expect(done.changed).toEqual([]);
  });
});
