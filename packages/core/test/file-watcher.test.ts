import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isClustrError, type FileEvent } from "@clustr/protocol";
import { openStore, type Store } from "@clustr/store";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileWatchers } from "../src/files/index.js";

const A = "agent0001";
const B = "agent0002";
// Generous: the machine is shared, and a watcher's start scans the folder.
const WAIT = { timeoutMs: 20_000 };

let data: TempDir;
let project: TempDir;
let store: Store;
let watchers: FileWatchers;
let emitted: FileEvent[];
let errors: Error[];

async function replaceWatchers(debounceMs: number): Promise<void> {
  await watchers.close();
  watchers = makeWatchers(debounceMs);
}

function makeWatchers(debounceMs = 50): FileWatchers {
  return new FileWatchers({
    fileEvents: store.fileEvents,
    emit: (event) => emitted.push(event),
    debounceMs,
    onError: (error) => errors.push(error),
    env: { ...process.env, HOME: data.path, XDG_CONFIG_HOME: join(data.path, "xdg"), GIT_CONFIG_NOSYSTEM: "1" },
  });
}

beforeEach(async () => {
  data = await makeTempDir("clustr-files-data-");
  project = await makeTempDir("clustr-files-project-");
  store = openStore({ dataDir: join(data.path, "home") });
  emitted = [];
  errors = [];
  watchers = makeWatchers();
});

afterEach(async () => {
  await watchers.close();
  await store.close();
  await project.cleanup();
  await data.cleanup();
  expect(errors).toEqual([]);
});

function write(path: string, content = "x\n"): void {
  const full = join(project.path, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
}

const summary = (events: readonly FileEvent[]) => events.map((e) => `${e.kind} ${e.path}`);

function waitForEvent(path: string, kind: FileEvent["kind"], cwd = project.path): Promise<FileEvent> {
  return waitFor(() => emitted.find((e) => e.path === path && e.kind === kind && e.cwd === cwd), {
    ...WAIT,
    what: `${kind} ${path}`,
  });
}

/**
 * Changes are logged in order per folder, so once a change written afterwards is logged,
 * anything ignored before it would have been logged too.
 */
async function settle(name: string): Promise<void> {
  write(name);
  await waitForEvent(name, "add");
}

describe("FileWatchers", { timeout: 60_000 }, () => {
  it("logs add, change and unlink with relative paths and the agents there, stored and emitted", async () => {
    await watchers.watch(project.path, A);
    write("src/deep/a.txt", "one\n");
    const added = await waitForEvent("src/deep/a.txt", "add");
    appendFileSync(join(project.path, "src/deep/a.txt"), "two\n");
    const changed = await waitForEvent("src/deep/a.txt", "change");
    rmSync(join(project.path, "src/deep/a.txt"));
    const removed = await waitForEvent("src/deep/a.txt", "unlink");

    for (const event of [added, changed, removed]) {
      expect(event.cwd).toBe(project.path);
      expect(event.agentIds).toEqual([A]);
      expect(Number.isNaN(Date.parse(event.at))).toBe(false);
    }
    expect(summary(emitted)).toEqual(["add src/deep/a.txt", "change src/deep/a.txt", "unlink src/deep/a.txt"]);
    expect(store.fileEvents.list()).toEqual(emitted);
    expect(store.fileEvents.list({ agent: A }).map((e) => e.id)).toEqual(emitted.map((e) => e.id));
  });

  it("logs nothing under .git, node_modules or what .gitignore files and info/exclude ignore, and never enters those folders", async () => {
    execFileSync("git", ["init", "-q"], { cwd: project.path });
    write(".gitignore", "*.log\nbuild/\n");
    write("pkg/.gitignore", "secret.txt\n");
    write(".git/info/exclude", "excluded.txt\n");
    write("node_modules/dep/index.js");
    write("build/old.js");
    await watchers.watch(project.path, A);

    const dirs = watchers.watchedDirectories(project.path) ?? [];
    expect(dirs).toContain("");
    expect(dirs).toContain("pkg");
    for (const pruned of [".git", "node_modules", "node_modules/dep", "build"]) expect(dirs).not.toContain(pruned);

    write(".git/objects/new-object");
    write("node_modules/dep/index.js", "changed\n");
    write("node_modules/other/index.js");
    write("app.log");
    write("src/app.log");
    write("build/out.js");
    write("src/build/out.js");
    write("pkg/secret.txt");
    write("excluded.txt");
    write("pkg/kept.txt");
    await waitForEvent("pkg/kept.txt", "add");
    await settle("sentinel.txt");

    expect(summary(emitted).sort()).toEqual(["add pkg/kept.txt", "add sentinel.txt"]);
    // Folders made while watching are pruned too.
    const later = watchers.watchedDirectories(project.path) ?? [];
    expect(later).toContain("src");
    for (const pruned of ["node_modules/other", "build", "src/build"]) expect(later).not.toContain(pruned);
  });

  it("ignores what git ignores where a hand-made matcher went wrong: a reversed range, an open bracket, letter case", async () => {
    execFileSync("git", ["init", "-q"], { cwd: project.path });
    // `[z-a]` is not a valid regex class: the watcher's earlier matcher dropped the whole file.
    write(".gitignore", "[z-a]\n*.log\nx[\n*.TMP\n");
    await watchers.watch(project.path, A);
    for (const name of ["z", "app.log", "x[", "a.tmp", "b.TMP"]) write(name);
    await waitForEvent("x[", "add");
    await waitForEvent("a.tmp", "add");
    await settle("sentinel.txt");
    const expected = execFileSync("git", ["ls-files", "--others", "--exclude-standard"], { cwd: project.path, encoding: "utf8" })
      .split("\n")
      .filter((p) => p !== "" && p !== ".gitignore");
    expect(expected.sort()).toEqual(["a.tmp", "sentinel.txt", "x["]);
    expect(summary(emitted).sort()).toEqual(expected.map((p) => `add ${p}`));
  });

  it("follows a .gitignore written while watching", async () => {
    await watchers.watch(project.path, A);
    write("pkg/.gitignore", "later.txt\n");
    await waitForEvent("pkg/.gitignore", "add");
    write("pkg/later.txt");
    await settle("pkg/sentinel.txt");
    expect(summary(emitted)).toEqual(["add pkg/.gitignore", "add pkg/sentinel.txt"]);
  });

  it("shares one watcher between the agents of a folder and stops after the last one leaves", async () => {
    await Promise.all([watchers.watch(project.path, A), watchers.watch(project.path, B)]);
    expect(watchers.watcherCount).toBe(1);
    expect(watchers.agentsIn(project.path)).toEqual([A, B]);

    write("both.txt");
    expect((await waitForEvent("both.txt", "add")).agentIds).toEqual([A, B]);

    await watchers.unwatch(project.path, A);
    expect(watchers.watcherCount).toBe(1);
    write("only-b.txt");
    expect((await waitForEvent("only-b.txt", "add")).agentIds).toEqual([B]);

    await watchers.unwatch(project.path, B);
    expect(watchers.watcherCount).toBe(0);
    expect(watchers.watchedFolders()).toEqual([]);
    expect(watchers.agentsIn(project.path)).toEqual([]);

    // Watching again starts a fresh watcher.
    await watchers.watch(project.path, A);
    expect(watchers.watcherCount).toBe(1);
    write("again.txt");
    expect((await waitForEvent("again.txt", "add")).agentIds).toEqual([A]);
  });

  it("folds a burst of 100 writes to one file into one or a few events", async () => {
    await watchers.watch(project.path, A);
    for (let i = 0; i < 100; i++) appendFileSync(join(project.path, "burst.txt"), `line ${i}\n`);
    await waitForEvent("burst.txt", "add");
    await settle("sentinel.txt");
    const burst = emitted.filter((e) => e.path === "burst.txt");
    expect(burst[0]?.kind).toBe("add");
    expect(burst.length).toBeGreaterThanOrEqual(1);
    expect(burst.length).toBeLessThanOrEqual(3);
  });

  it("logs nothing for a file added and removed within the window", async () => {
    await replaceWatchers(2_000);
    await watchers.watch(project.path, A);
    const watching = Date.now();
    write("fleeting.txt");
    // Seen by the watcher (and so pending) before it goes away.
    await waitFor(() => watchers.changedSince(project.path, watching)?.includes("fleeting.txt"), WAIT);
    const afterAdd = Date.now() + 1;
    await waitFor(() => Date.now() > afterAdd);
    rmSync(join(project.path, "fleeting.txt"));
    await waitFor(() => watchers.changedSince(project.path, afterAdd)?.includes("fleeting.txt"), { ...WAIT, what: "the removal" });
    await settle("kept.txt");
    expect(summary(emitted)).toEqual(["add kept.txt"]);
  });

  it("logs only the target of an atomic write, not the temporary file renamed over it", async () => {
    // Claude Code's Write, like many tools, writes `<name>.tmp.<pid>.<n>` and renames it over
    // `<name>`. chokidar reports the temporary file's add at once but its removal about 100 ms
    // after the rename (in case the file comes back), so with the default 100 ms window the
    // add falls due before the removal shows.
    await replaceWatchers(100);
    await watchers.watch(project.path, A);
    const names = ["one.txt", "two.txt", "three.txt"];
    for (const name of names) {
      const temporary = join(project.path, `${name}.tmp.4242.1f2e3d`);
      writeFileSync(temporary, `${name}\n`);
      const written = Date.now();
      await waitFor(() => Date.now() >= written + 30);
      renameSync(temporary, join(project.path, name));
      await waitForEvent(name, "add");
    }
    // Well past chokidar's delay and the window, so that a late removal would be logged.
    const renamed = Date.now();
    await waitFor(() => Date.now() >= renamed + 500);
    await settle("sentinel.txt");
    expect(summary(emitted)).toEqual([...names.map((name) => `add ${name}`), "add sentinel.txt"]);
    // The store holds what was emitted, nothing more.
    expect(summary(store.fileEvents.list())).toEqual(summary(emitted));
  });

  it("drops the add of a file whose folder became a file before it was logged", async () => {
    // The add falls due with `box` a file: asking for `box/inside.txt` then fails with ENOTDIR,
    // which must count as gone, not break the flush.
    await replaceWatchers(100);
    await watchers.watch(project.path, A);
    write("box/inside.txt");
    const written = Date.now();
    await waitFor(() => Date.now() >= written + 30);
    rmSync(join(project.path, "box"), { recursive: true });
    write("box", "now a file\n");
    await waitForEvent("box", "add");
    const replaced = Date.now();
    await waitFor(() => Date.now() >= replaced + 500);
    await settle("sentinel.txt");
    expect(summary(emitted)).toEqual(["add box", "add sentinel.txt"]);
  });

  it("emits events in store order, each as stored", async () => {
    await watchers.watch(project.path, A);
    const names = ["one.txt", "two.txt", "three.txt", "four.txt", "five.txt"];
    for (const name of names) write(name);
    await waitFor(() => emitted.length >= names.length, { ...WAIT, what: "five events" });
    await settle("sentinel.txt");

    const ids = emitted.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    expect(store.fileEvents.list()).toEqual(emitted);
    expect(summary(emitted).sort()).toEqual([...names, "sentinel.txt"].map((n) => `add ${n}`).sort());
  });

  it("attributes a change in a nested folder to the agents of both folders and stores it once", async () => {
    mkdirSync(join(project.path, "sub"));
    const sub = join(project.path, "sub");
    await watchers.watch(project.path, A);
    await watchers.watch(sub, B);
    expect(watchers.watcherCount).toBe(2);
    expect(watchers.agentsIn(sub)).toEqual([A, B]);
    expect(watchers.agentsIn(project.path)).toEqual([A]);

    write("sub/inner.txt");
    const inner = await waitForEvent("inner.txt", "add", sub);
    expect(inner.agentIds).toEqual([A, B]);
    write("outer.txt");
    expect((await waitForEvent("outer.txt", "add")).agentIds).toEqual([A]);
    await settle("sentinel.txt");
    expect(emitted.filter((e) => e.path.endsWith("inner.txt"))).toHaveLength(1);
    expect(store.fileEvents.list({ agent: B }).map((e) => e.path)).toEqual(["inner.txt"]);

    // Once the nested folder's agent ends, the outer watcher logs changes there.
    await watchers.unwatch(sub, B);
    write("sub/after.txt");
    const after = await waitForEvent("sub/after.txt", "add");
    expect(after.agentIds).toEqual([A]);
  });

  it("stores the changes still in their window when the last agent leaves", async () => {
    await replaceWatchers(60_000);
    await watchers.watch(project.path, A);
    const watching = Date.now();
    write("pending.txt");
    await waitFor(() => watchers.changedSince(project.path, watching)?.includes("pending.txt"), WAIT);
    expect(emitted).toEqual([]);
    await watchers.unwatch(project.path, A);
    expect(summary(emitted)).toEqual(["add pending.txt"]);
    expect(emitted[0]?.agentIds).toEqual([A]);
    expect(store.fileEvents.list()).toEqual(emitted);
  });

  it("gives the paths changed since a time, only for the time it has watched", async () => {
    const beforeWatch = Date.now() - 1;
    await watchers.watch(project.path, A);
    const since = Date.now();
    write("src/changed.txt");
    await waitForEvent("src/changed.txt", "add");
    const paths = watchers.changedSince(project.path, since) ?? [];
    expect(paths).toContain("src/changed.txt");
    expect(watchers.changedSince(project.path, beforeWatch)).toBeUndefined();
    expect(watchers.changedSince(join(project.path, "elsewhere"), since)).toBeUndefined();
  });

  it("refuses a missing folder or a malformed agent id and watches nothing", async () => {
    const missing = join(project.path, "missing");
    await expect(watchers.watch(missing, A)).rejects.toSatisfy((e) => isClustrError(e) && e.code === "cwd_not_found");
    write("a-file.txt");
    await expect(watchers.watch(join(project.path, "a-file.txt"), A)).rejects.toSatisfy(
      (e) => isClustrError(e) && e.code === "cwd_not_found",
    );
    await expect(watchers.watch(project.path, "Not An Id!")).rejects.toSatisfy(
      (e) => isClustrError(e) && e.code === "validation_failed",
    );
    expect(watchers.watcherCount).toBe(0);
    await watchers.close();
    await expect(watchers.watch(project.path, A)).rejects.toSatisfy((e) => isClustrError(e) && e.code === "bad_request");
    expect(watchers.watcherCount).toBe(0);
  });
});
