import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPatch } from "diff";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiffFileSchema } from "@clustr/protocol";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { createCheckpointer, type Checkpointer } from "../src/index.js";
import { git } from "./helpers.js";

let tmp: TempDir;
let checkpointer: Checkpointer;

beforeEach(async () => {
  tmp = await makeTempDir("clustr-git-diff-");
  checkpointer = createCheckpointer({ checkpointsDir: join(tmp.path, "data", "checkpoints") });
});
afterEach(async () => {
  await tmp.cleanup();
});

describe("diff", () => {
  it("lists added, modified and deleted files with patches that rebuild the new content", async () => {
    const dir = join(tmp.path, "proj");
    mkdirSync(join(dir, "src"), { recursive: true });
    git(dir, ["init", "-q"]);
    writeFileSync(join(dir, ".gitignore"), ".env\n");
    writeFileSync(join(dir, "src", "a.ts"), "one\ntwo\nthree\n");
    writeFileSync(join(dir, "crlf.txt"), "x\r\ny\r\n");
    writeFileSync(join(dir, "gone.txt"), "bye\n");
    writeFileSync(join(dir, "img.bin"), Buffer.from([0x89, 0x50, 0, 0, 1]));
    writeFileSync(join(dir, "tool.sh"), "echo\n");
    writeFileSync(join(dir, "same.txt"), "same\n");
    const { commit } = await checkpointer.checkpoint(dir, { ref: "agent-1" });

    writeFileSync(join(dir, "src", "a.ts"), "one\nTWO\nthree\nfour\n");
    writeFileSync(join(dir, "crlf.txt"), "x\r\nz\r\n");
    rmSync(join(dir, "gone.txt"));
    writeFileSync(join(dir, "img.bin"), Buffer.from([0x89, 0x50, 0, 0, 2]));
    writeFileSync(join(dir, "new.md"), "# new\n");
    chmodSync(join(dir, "tool.sh"), 0o755);
    writeFileSync(join(dir, ".env"), "SECRET\n"); // ignored: never in a diff
    symlinkSync("src/a.ts", join(dir, "alias"));

    const files = await checkpointer.diff(dir, commit);
    for (const f of files) DiffFileSchema.parse(f);
    expect(files.map((f) => [f.path, f.status, f.binary])).toEqual([
      ["alias", "added", false],
      ["crlf.txt", "modified", false],
      ["gone.txt", "deleted", false],
      ["img.bin", "modified", true],
      ["new.md", "added", false],
      ["src/a.ts", "modified", false],
      ["tool.sh", "modified", false],
    ]);
    const byPath = new Map(files.map((f) => [f.path, f]));
    const a = byPath.get("src/a.ts");
    expect(a?.patch).toContain("-two\n+TWO\n");
    expect(applyPatch("one\ntwo\nthree\n", a?.patch ?? "")).toBe("one\nTWO\nthree\nfour\n");
    expect(applyPatch("x\r\ny\r\n", byPath.get("crlf.txt")?.patch ?? "")).toBe("x\r\nz\r\n");
    expect(applyPatch("bye\n", byPath.get("gone.txt")?.patch ?? "")).toBe("");
    expect(byPath.get("new.md")?.patch).toContain("new file mode 100644");
    expect(byPath.get("img.bin")?.patch).toContain("Binary files a/img.bin and b/img.bin differ");
    expect(byPath.get("tool.sh")?.patch).toContain("old mode 100644\nnew mode 100755");
    expect(byPath.get("alias")?.patch).toContain("new file mode 120000");
    expect(byPath.get("alias")?.patch).toContain("+src/a.ts");

    // The patch of a text file is the same change `git diff` reports.
    git(dir, ["add", "-A"]);
    expect(git(dir, ["diff", "--cached", "--", "src/a.ts"])).toContain("+four\n");
  });

  it("gives the same diff with a watcher's hint as with a full scan", async () => {
    const dir = join(tmp.path, "proj");
    mkdirSync(join(dir, "src"), { recursive: true });
    for (let i = 0; i < 10; i++) writeFileSync(join(dir, "src", `f${i}.ts`), `v${i}\n`);
    const base = await checkpointer.checkpoint(dir, { ref: "agent-1" });
    writeFileSync(join(dir, "src", "f1.ts"), "changed before\n");
    const latest = await checkpointer.checkpoint(dir, { ref: "agent-2" });
    writeFileSync(join(dir, "src", "f2.ts"), "changed after\n");
    rmSync(join(dir, "src", "f3.ts"));
    const full = await checkpointer.diff(dir, base.commit);
    const hinted = await checkpointer.diff(dir, base.commit, {
      changedPathsHint: { since: latest.commit, paths: ["src/f2.ts", "src/f3.ts"] },
    });
    expect(full.map((f) => [f.path, f.status])).toEqual([
      ["src/f1.ts", "modified"],
      ["src/f2.ts", "modified"],
      ["src/f3.ts", "deleted"],
    ]);
    expect(hinted).toEqual(full);
  });

  it("finds nothing when nothing changed, and diffs a checkpoint that is not the latest", async () => {
    const dir = join(tmp.path, "proj");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.txt"), "a\n");
    const first = await checkpointer.checkpoint(dir, { ref: "agent-1" });
    expect(await checkpointer.diff(dir, first.commit)).toEqual([]);
    writeFileSync(join(dir, "a.txt"), "b\n");
    await checkpointer.checkpoint(dir, { ref: "agent-2" });
    writeFileSync(join(dir, "a.txt"), "c\n");
    // A new checkpointer has no snapshot in memory: it reads the commit's trees.
    const files = await createCheckpointer({ checkpointsDir: join(tmp.path, "data", "checkpoints") }).diff(dir, first.commit);
    expect(files).toHaveLength(1);
    expect(files[0]?.patch).toContain("-a\n+c\n");
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("c\n");
  });
});
