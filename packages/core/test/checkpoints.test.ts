import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspace, type Workspace } from "../src/index.js";

let data: TempDir;
let project: TempDir;
let workspace: Workspace;

beforeEach(async () => {
  data = await makeTempDir("clustr-data-");
  project = await makeTempDir("clustr-project-");
  writeFileSync(join(project.path, "a.txt"), "original\n");
  workspace = await createWorkspace({ dataDir: data.path, startTimeoutMs: 30_000 });
});

afterEach(async () => {
  await workspace.close();
  await data.cleanup();
  await project.cleanup();
});

describe("checkpoints of an agent's folder", () => {
  it("checkpoints before the agent starts, diffs what it changed, rolls back and undoes", async () => {
    const agent = workspace.spawn({
      name: "editor",
      kind: "command",
      command: "bash",
      args: ["--norc", "--noprofile"],
      cwd: project.path,
      task: "echo changed > a.txt; echo new > b.txt; echo edits-done",
    });
    await waitFor(() => /^edits-done$/m.test(workspace.screen(agent.id)), { timeoutMs: 30_000, what: "edits done" });
    expect(workspace.get(agent.id)?.checkpointId).toBeTruthy();

    const files = await workspace.diff(agent.id);
    expect(files.map((f) => [f.path, f.status])).toEqual([
      ["a.txt", "modified"],
      ["b.txt", "added"],
    ]);
    expect(files[0]!.patch).toContain("-original");
    expect(files[0]!.patch).toContain("+changed");

    // The file log attributes both changes to the agent.
    await waitFor(() => workspace.listFileEvents({ agent: agent.id }).length >= 2, { what: "file events" });
    const preview = await workspace.rollback(agent.id, { preview: true });
    expect(preview.changed).toEqual([
      { path: "a.txt", status: "modified", changedBy: [agent.id] },
      { path: "b.txt", status: "added", changedBy: [agent.id] },
    ]);
    expect(readFileSync(join(project.path, "a.txt"), "utf8")).toBe("changed\n");

    const done = await workspace.rollback(agent.id, {});
    expect(done.undoCheckpointId).toBeTruthy();
    expect(readFileSync(join(project.path, "a.txt"), "utf8")).toBe("original\n");
    expect(existsSync(join(project.path, "b.txt"))).toBe(false);

    await workspace.rollback(agent.id, { undo: true });
    expect(readFileSync(join(project.path, "a.txt"), "utf8")).toBe("changed\n");
    expect(readFileSync(join(project.path, "b.txt"), "utf8")).toBe("new\n");
  });
});

describe("agents sharing a folder", () => {
  it("attributes changes to the agents running there, and to the user when none was", async () => {
    const shell = { kind: "command" as const, command: "bash", args: ["--norc", "--noprofile"], cwd: project.path };
    const first = workspace.spawn({ ...shell, name: "first", task: "echo first-ready" });
    await waitFor(() => workspace.get(first.id)?.status === "running", { timeoutMs: 30_000, what: "first running" });
    const second = workspace.spawn({ ...shell, name: "second", task: "echo shared > s.txt; echo second-done" });
    await waitFor(() => /^second-done$/m.test(workspace.screen(second.id)), { timeoutMs: 30_000, what: "second's edit" });
    await waitFor(() => workspace.listFileEvents({ agent: second.id }).some((e) => e.path === "s.txt"), { what: "s.txt logged" });
    await workspace.kill(second.id);
    await workspace.kill(first.id);
    // Nobody runs there now: an edit is the user's.
    writeFileSync(join(project.path, "u.txt"), "by hand\n");

    const preview = await workspace.rollback(first.id, { preview: true });
    const byPath = Object.fromEntries(preview.changed.map((c) => [c.path, [...c.changedBy].sort()]));
    expect(byPath["s.txt"]).toEqual([first.id, second.id].sort());
    expect(byPath["u.txt"]).toEqual(["user"]);
    // The second agent's checkpoint was taken after the first started, so it does not see its own start as a change.
    expect((await workspace.diff(second.id)).map((f) => f.path)).toEqual(["s.txt", "u.txt"]);
  });
});

describe("who changed what, from the file log", () => {
  it("counts only changes since the checkpoint, including those logged by a watcher of the folder around it", async () => {
    const app = join(project.path, "app");
    mkdirSync(app);
    writeFileSync(join(app, "a.txt"), "original\n");
    const shell = { kind: "command" as const, command: "bash", args: ["--norc", "--noprofile"] };
    const outer = workspace.spawn({ ...shell, name: "outer", cwd: project.path, task: "echo pre > app/a.txt; echo outer-ready" });
    await waitFor(() => workspace.listFileEvents({ agent: outer.id }).some((e) => e.path === "app/a.txt"), { timeoutMs: 30_000, what: "outer's early edit logged" });

    // The inner agent's checkpoint comes after the outer agent's edit of a.txt.
    const inner = workspace.spawn({ ...shell, name: "inner", cwd: app, task: "echo inner-ready" });
    await waitFor(() => workspace.get(inner.id)?.status === "running", { timeoutMs: 30_000, what: "inner running" });
    await workspace.kill(inner.id);

    // With the inner folder no longer watched, the outer folder's watcher logs app/b.txt.
    await workspace.input(outer.id, "echo later > app/b.txt; echo outer-done");
    await waitFor(() => workspace.listFileEvents({ agent: outer.id }).some((e) => e.cwd === project.path && e.path === "app/b.txt"), {
      timeoutMs: 30_000,
      what: "b.txt logged by the outer folder",
    });
    await workspace.kill(outer.id);
    // Nobody watches now: a.txt's only logged change is the outer agent's, from before the checkpoint.
    writeFileSync(join(app, "a.txt"), "by hand\n");

    const preview = await workspace.rollback(inner.id, { preview: true });
    expect(preview.changed).toEqual([
      { path: "a.txt", status: "modified", changedBy: ["user"] },
      { path: "b.txt", status: "added", changedBy: [outer.id] },
    ]);
  });
});
