import git from "isomorphic-git";
import * as fs from "node:fs";
import { mkdir, realpath, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ClustrError, type ChangedPath, type DiffFile, type RollbackResponse } from "@clustr/protocol";
import { baseSources, IgnoreRules } from "./ignore-rules.js";
import { ObjectWriter, readLooseObject } from "./object-store.js";
import { makePatch } from "./patch.js";
import { assertProjectNotBusy } from "./project-state.js";
import { assertWritableInside, normalizeRelPath, removeFile, restoreFile } from "./safe-fs.js";
import { readStored, scanFolder } from "./scan.js";
import { shadowRepoDir } from "./shadow-path.js";
import { loadStatCache, saveStatCache, type SnapshotFile, type StatCache } from "./stat-cache.js";
import { dirtyFolders, readSnapshot, writeTrees, type TreeIds } from "./tree.js";

/** Who changed each path: a function, a Map or a plain object from path to agent ids / "user". */
export type ChangedByInput =
  | ((path: string) => readonly string[])
  | ReadonlyMap<string, readonly string[]>
  | Readonly<Record<string, readonly string[]>>;

/** A hint from a file watcher: the paths that may have changed since checkpoint `since`. */
export interface ChangedPathsHint {
  /** The commit the hint is relative to; ignored unless it is the shadow repository's latest. */
  since: string;
  /** Paths relative to the folder (files or folders). */
  paths: readonly string[];
}

export interface CheckpointOptions {
  /** The private ref to commit on, under `refs/clustr/` (e.g. the agent id). */
  ref: string;
  message?: string;
  changedPathsHint?: ChangedPathsHint;
}

export interface CheckpointResult {
  /** Commit id in the shadow repository (what core records as the checkpoint). */
  commit: string;
  tree: string;
  /** The full ref name, `refs/clustr/<ref>`. */
  ref: string;
  /** Files in the checkpoint. */
  files: number;
  /** Files read and hashed for it (the rest were known from the stat cache). */
  hashed: number;
}

export interface RollbackOptions {
  /** Only these paths (files, or folders meaning everything below); default all changed paths. */
  paths?: readonly string[];
  /** List what would change, write nothing. */
  preview?: boolean;
  /** Attribution for the preview; default: `[agentId]`. */
  changedBy?: ChangedByInput;
  /** The agent the checkpoint belongs to, for the default attribution. */
  agentId?: string;
}

/** Checkpoints, diffs and rollback of project folders in shadow repositories. */
export interface Checkpointer {
  /** Snapshot `folder` (files git would not ignore) as a commit on `refs/clustr/<ref>`. */
  checkpoint(folder: string, options: CheckpointOptions): Promise<CheckpointResult>;
  /**
   * Files added, modified and deleted in `folder` since `commit`, with unified patches.
   * `changedPathsHint` narrows the scan as for {@link Checkpointer.checkpoint}.
   */
  diff(folder: string, commit: string, options?: { changedPathsHint?: ChangedPathsHint }): Promise<DiffFile[]>;
  /**
   * Restore `folder` to `commit` for the changed paths (or `paths`), after checkpointing the
   * current state; `undoCheckpointId` is that checkpoint (null for a preview).
   */
  rollback(folder: string, commit: string, options?: RollbackOptions): Promise<RollbackResponse>;
  /** Revert the rollback that returned `undoCheckpointId`, for the paths it changed. */
  undoRollback(folder: string, undoCheckpointId: string, options?: Omit<RollbackOptions, "paths" | "preview">): Promise<RollbackResponse>;
  /** The shadow repository (a bare gitdir) of `folder`. */
  shadowRepo(folder: string): string;
}

export interface CheckpointerOptions {
  /** The data folder's `checkpoints/`: one shadow repository per project folder inside. */
  checkpointsDir: string;
  /**
   * The data folder (default: the parent of `checkpointsDir`). When it lies inside a project
   * folder (a home folder), it is never snapshotted, diffed or rolled back: its database and
   * tokens are live state, not project files.
   */
  dataDir?: string;
}

const REF_PREFIX = "refs/clustr/";
/** Flat snapshots kept in memory (a few MB each for large folders). */
const SNAPSHOTS_KEPT = 16;
const PRE_ROLLBACK_REF = "pre-rollback";
const ROLLBACK_TRAILER = "Clustr-Rollback: ";
const AUTHOR = { name: "Clustr", email: "clustr@localhost" };

interface Change {
  path: string;
  status: "added" | "modified" | "deleted";
  before: SnapshotFile | undefined;
  after: SnapshotFile | undefined;
}

function validateRef(ref: string): string {
  const ok =
    /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/.test(ref) &&
    !ref.includes("..") &&
    !/\.lock(\/|$)/.test(ref) &&
    ref.length <= 200;
  if (!ok) throw new ClustrError("validation_failed", `invalid checkpoint ref ${JSON.stringify(ref)}`);
  return `${REF_PREFIX}${ref}`;
}

function validateCommit(commit: string): string {
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new ClustrError("validation_failed", `invalid checkpoint id ${JSON.stringify(commit)}`);
  return commit;
}

function attribution(input: ChangedByInput | undefined, agentId: string | undefined): (path: string) => string[] {
  const fallback = agentId === undefined ? [] : [agentId];
  if (input === undefined) return () => [...fallback];
  if (typeof input === "function") return (p) => [...input(p)];
  if (input instanceof Map) return (p) => [...(input.get(p) ?? fallback)];
  const record = input as Readonly<Record<string, readonly string[]>>;
  return (p) => [...(Object.hasOwn(record, p) ? (record[p] ?? []) : fallback)];
}

/** Compare two snapshots: what changed going from `from` to `to`, sorted by path. */
function compare(from: Map<string, SnapshotFile>, to: Map<string, SnapshotFile>): Change[] {
  const out: Change[] = [];
  for (const [path, before] of from) {
    const after = to.get(path);
    if (!after) out.push({ path, status: "deleted", before, after });
    else if (after.oid !== before.oid || after.mode !== before.mode) out.push({ path, status: "modified", before, after });
  }
  for (const [path, after] of to) if (!from.has(path)) out.push({ path, status: "added", before: undefined, after });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function rollbackMessage(title: string, to: string, changes: Change[]): string {
  return `${title}\n\n${ROLLBACK_TRAILER}${JSON.stringify({ to, paths: changes.map((c) => c.path) })}`;
}

/** The hint's paths, when they can stand in for a full scan from `cache`; else undefined. */
function usableHint(cache: StatCache | undefined, hint: ChangedPathsHint | undefined): string[] | undefined {
  if (!hint) return undefined;
  const paths = hint.paths.map(normalizeRelPath);
  if (!cache || hint.since !== cache.commit) return undefined;
  // A changed .gitignore can hide or reveal anything: only a full scan is right then.
  if (paths.some((p) => p === ".gitignore" || p.endsWith("/.gitignore"))) return undefined;
  return paths;
}

function dirsOf(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return dirs;
}

/** Create a {@link Checkpointer} keeping its shadow repositories in `checkpointsDir`. */
export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const checkpointsDir = resolve(options.checkpointsDir);
  const dataDir = resolve(options.dataDir ?? dirname(checkpointsDir));
  /** isomorphic-git's object cache (parsed packfile indexes), shared by all calls. */
  const gitCache = {};
  const statCaches = new Map<string, StatCache>();
  /** Folder tree ids of each shadow repository's latest commit (memory only: rebuilt after a restart). */
  const treeIds = new Map<string, { commit: string; ids: TreeIds }>();
  /** Recent snapshots by commit id: diffs against an agent's checkpoint skip reading its trees. */
  const snapshots = new Map<string, Map<string, SnapshotFile>>();
  const remember = (commit: string, files: Map<string, SnapshotFile>): void => {
    snapshots.delete(commit);
    snapshots.set(commit, files);
    for (const key of snapshots.keys()) {
      if (snapshots.size <= SNAPSHOTS_KEPT) break;
      snapshots.delete(key);
    }
  };
  const locks = new Map<string, Promise<unknown>>();
  const ignoreRules = new Map<string, IgnoreRules>();

  /**
   * The folder's ignore rules, kept between scans while the sources outside the folder read
   * the same (scans check the folder's own .gitignore files as they list each folder).
   */
  function rulesFor(folder: string): IgnoreRules {
    const base = baseSources(folder);
    const known = ignoreRules.get(folder);
    if (known?.baseKey === base.key) return known;
    const rules = new IgnoreRules(folder, { base });
    ignoreRules.set(folder, rules);
    return rules;
  }

  /** Run `task` after every earlier task on the same shadow repository: one writer at a time. */
  function serialized<T>(gitdir: string, task: () => Promise<T>): Promise<T> {
    const prev = locks.get(gitdir) ?? Promise.resolve();
    const run = prev.then(task, task);
    const tail = run.catch(() => undefined);
    locks.set(gitdir, tail);
    void tail.then(() => {
      if (locks.get(gitdir) === tail) locks.delete(gitdir);
    });
    return run;
  }

  async function resolveFolder(folder: string): Promise<string> {
    let abs: string;
    try {
      abs = await realpath(resolve(folder));
    } catch {
      throw new ClustrError("cwd_not_found", `folder not found: ${folder}`);
    }
    if (!(await stat(abs)).isDirectory()) throw new ClustrError("cwd_not_found", `not a folder: ${folder}`);
    return abs;
  }

  async function statCacheOf(gitdir: string): Promise<StatCache | undefined> {
    const mem = statCaches.get(gitdir);
    if (mem) return mem;
    const disk = await loadStatCache(gitdir);
    if (disk) statCaches.set(gitdir, disk);
    return disk;
  }

  async function ensureShadow(folder: string): Promise<string> {
    const gitdir = shadowRepoDir(checkpointsDir, folder);
    if (!fs.existsSync(join(gitdir, "HEAD"))) {
      await mkdir(checkpointsDir, { recursive: true, mode: 0o700 });
      await git.init({ fs, gitdir, bare: true, defaultBranch: "main" });
      // For people looking into checkpoints/: which folder this repository shadows.
      await writeFile(join(gitdir, "description"), `Clustr checkpoints of ${folder}\n`);
    }
    return gitdir;
  }

  function existingShadow(folder: string): string {
    const gitdir = shadowRepoDir(checkpointsDir, folder);
    if (!fs.existsSync(join(gitdir, "HEAD"))) throw new ClustrError("not_found", `no checkpoints exist for ${folder}`);
    return gitdir;
  }

  function skipDirsFor(folder: string): Set<string> {
    const skip = new Set<string>();
    for (const given of [dataDir, checkpointsDir]) {
      let dir = given;
      try {
        dir = fs.realpathSync(given); // folders are compared by their real paths
      } catch {
        // not created yet: nothing of it can be inside the folder either
      }
      const rel = relative(folder, dir);
      if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) skip.add(dir);
    }
    return skip;
  }

  async function snapshotOf(gitdir: string, commit: string): Promise<Map<string, SnapshotFile>> {
    const cache = await statCacheOf(gitdir);
    if (cache?.commit === commit) return cache.files;
    const known = snapshots.get(commit);
    if (known) return known;
    try {
      const files = await readSnapshot(gitdir, commit, gitCache);
      remember(commit, files);
      return files;
    } catch (error) {
      throw new ClustrError("not_found", `checkpoint ${commit} not found`, { cause: error });
    }
  }

  /** Checkpoint under the lock held by the caller. */
  async function checkpointLocked(
    folder: string,
    gitdir: string,
    opts: CheckpointOptions,
    fullRef: string,
    messageFor?: (files: Map<string, SnapshotFile>) => string,
  ): Promise<CheckpointResult> {
    const cache = await statCacheOf(gitdir);
    const changedPaths = usableHint(cache, opts.changedPathsHint);
    const writer = new ObjectWriter(gitdir);
    const scan = await scanFolder(folder, {
      ignore: rulesFor(folder),
      writer,
      ...(cache ? { cache } : {}),
      ...(changedPaths ? { changedPaths } : {}),
      skipDirs: skipDirsFor(folder),
    });
    const known = treeIds.get(gitdir);
    const previous = cache && known?.commit === cache.commit ? { ids: known.ids, dirty: dirtyFolders(cache.files, scan.files) } : undefined;
    const { root: tree, ids } = await writeTrees(scan.files, writer, previous);
    let parent: string | undefined;
    try {
      parent = await git.resolveRef({ fs, gitdir, ref: fullRef });
    } catch {
      parent = undefined;
    }
    const now = { timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    const commit = await git.writeCommit({
      fs,
      gitdir,
      commit: {
        tree,
        parent: parent ? [parent] : [],
        author: { ...AUTHOR, ...now },
        committer: { ...AUTHOR, ...now },
        message: `${messageFor ? messageFor(scan.files) : (opts.message ?? "checkpoint")}\n`,
      },
    });
    // Every checkpoint stays reachable from its ref (older ones through parents): gc keeps them.
    await git.writeRef({ fs, gitdir, ref: fullRef, value: commit, force: true });
    const next: StatCache = { commit, files: scan.files };
    await saveStatCache(gitdir, next);
    statCaches.set(gitdir, next);
    treeIds.set(gitdir, { commit, ids });
    remember(commit, scan.files);
    return { commit, tree, ref: fullRef, files: scan.files.size, hashed: scan.hashed };
  }

  /** The folder as it is now, hashed but not stored. */
  async function currentFiles(folder: string, gitdir: string, hint?: ChangedPathsHint): Promise<Map<string, SnapshotFile>> {
    const cache = await statCacheOf(gitdir);
    const changedPaths = usableHint(cache, hint);
    const scan = await scanFolder(folder, {
      ignore: rulesFor(folder),
      ...(cache ? { cache } : {}),
      ...(changedPaths ? { changedPaths } : {}),
      skipDirs: skipDirsFor(folder),
    });
    return scan.files;
  }

  async function blob(gitdir: string, oid: string): Promise<Buffer> {
    const loose = await readLooseObject(gitdir, oid, "blob");
    if (loose) return loose;
    const { blob: data } = await git.readBlob({ fs, gitdir, oid, cache: gitCache });
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  function selectPaths(changes: Change[], paths: readonly string[] | undefined): Change[] {
    if (!paths) return changes;
    const wanted = paths.map(normalizeRelPath);
    return changes.filter((c) => wanted.some((w) => c.path === w || c.path.startsWith(`${w}/`)));
  }

  /**
   * Leave out paths the rollback must not write: a file to bring back whose place is taken by
   * something the snapshot does not track (an ignored file, or a folder holding one). A folder
   * that holds only files the same rollback removes is fine: it is emptied first.
   */
  function dropUntracked(folder: string, changes: Change[]): Change[] {
    const removed = new Set(changes.filter((c) => c.status === "added").map((c) => c.path));
    return changes.filter((c) => {
      if (c.status !== "deleted") return true;
      const abs = join(folder, c.path);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        return true; // missing, or under something that is no longer a folder
      }
      if (!st.isDirectory()) return false;
      const inside = fs.readdirSync(abs, { recursive: true, withFileTypes: true });
      return inside.every((e) => e.isDirectory() || removed.has(`${c.path}/${relative(abs, join(e.parentPath, e.name)).split(sep).join("/")}`));
    });
  }

  /** Make `folder` match `target` for `changes` (computed from the current state to the target). */
  async function apply(folder: string, gitdir: string, changes: Change[], target: Map<string, SnapshotFile>): Promise<void> {
    const removals = changes.filter((c) => c.status === "added").map((c) => c.path);
    const writes = changes.filter((c) => c.status !== "added");
    const removedFirst = new Set(removals);
    for (const c of writes) assertWritableInside(folder, c.path, removedFirst);
    // Read every blob before touching the folder, so a missing object fails the whole rollback.
    const contents = await Promise.all(writes.map((c) => blob(gitdir, (c.before as SnapshotFile).oid)));
    const keepDirs = dirsOf(target.keys());
    for (const path of removals) await removeFile(folder, path, keepDirs);
    for (const [i, c] of writes.entries()) await restoreFile(folder, c.path, (c.before as SnapshotFile).mode, contents[i] as Buffer);
  }

  function respond(changes: Change[], by: (path: string) => string[], undoCheckpointId: string | null): RollbackResponse {
    const changed: ChangedPath[] = changes.map((c) => ({ path: c.path, status: c.status, changedBy: by(c.path) as ChangedPath["changedBy"] }));
    return { changed, undoCheckpointId };
  }

  const api: Checkpointer = {
    shadowRepo(folder) {
      return shadowRepoDir(checkpointsDir, resolve(folder));
    },

    async checkpoint(folderIn, opts) {
      const fullRef = validateRef(opts.ref);
      const folder = await resolveFolder(folderIn);
      const gitdir = await ensureShadow(folder);
      return serialized(gitdir, () => checkpointLocked(folder, gitdir, opts, fullRef));
    },

    async diff(folderIn, commitIn, options = {}) {
      const commit = validateCommit(commitIn);
      const folder = await resolveFolder(folderIn);
      const gitdir = existingShadow(folder);
      const before = await snapshotOf(gitdir, commit);
      const now = await currentFiles(folder, gitdir, options.changedPathsHint);
      const changes = compare(before, now);
      return Promise.all(
        changes.map(async (c): Promise<DiffFile> => {
          const old = c.before ? { mode: c.before.mode, content: await blob(gitdir, c.before.oid) } : undefined;
          let cur: { mode: SnapshotFile["mode"]; content: Buffer } | undefined;
          if (c.after) {
            const content = await readStored(join(folder, c.path), c.after.mode === "120000").catch(() => Buffer.alloc(0));
            cur = { mode: c.after.mode, content };
          }
          return { path: c.path, status: c.status, ...makePatch(c.path, old, cur) };
        }),
      );
    },

    async rollback(folderIn, commitIn, opts = {}) {
      const commit = validateCommit(commitIn);
      const folder = await resolveFolder(folderIn);
      const gitdir = existingShadow(folder);
      const by = attribution(opts.changedBy, opts.agentId);
      if (opts.paths) opts.paths.forEach(normalizeRelPath);
      assertProjectNotBusy(folder);
      const target = await snapshotOf(gitdir, commit);
      if (opts.preview) {
        const now = await currentFiles(folder, gitdir);
        return respond(dropUntracked(folder, selectPaths(compare(target, now), opts.paths)), by, null);
      }
      return serialized(gitdir, async () => {
        assertProjectNotBusy(folder);
        // The changes are decided from exactly the state the pre-rollback checkpoint stores,
        // and its message names them, so an undo puts back precisely these paths.
        let changes: Change[] = [];
        const pre = await checkpointLocked(folder, gitdir, { ref: PRE_ROLLBACK_REF }, validateRef(PRE_ROLLBACK_REF), (now) => {
          changes = dropUntracked(folder, selectPaths(compare(target, now), opts.paths));
          return rollbackMessage(`before rollback to ${commit}`, commit, changes);
        });
        await apply(folder, gitdir, changes, target);
        return respond(changes, by, pre.commit);
      });
    },

    async undoRollback(folderIn, undoIn, opts = {}) {
      const undoId = validateCommit(undoIn);
      const folder = await resolveFolder(folderIn);
      const gitdir = existingShadow(folder);
      const by = attribution(opts.changedBy, opts.agentId);
      assertProjectNotBusy(folder);
      let message: string;
      try {
        ({ commit: { message } } = await git.readCommit({ fs, gitdir, oid: undoId, cache: gitCache }));
      } catch (error) {
        throw new ClustrError("not_found", `checkpoint ${undoId} not found`, { cause: error });
      }
      const line = message.split("\n").find((l) => l.startsWith(ROLLBACK_TRAILER));
      if (!line) throw new ClustrError("bad_request", `checkpoint ${undoId} was not taken before a rollback`);
      let paths: string[];
      try {
        ({ paths } = JSON.parse(line.slice(ROLLBACK_TRAILER.length)) as { paths: string[] });
        if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string")) throw new Error("no path list");
      } catch (error) {
        throw new ClustrError("bad_request", `checkpoint ${undoId} does not say which paths its rollback changed`, { cause: error });
      }
      const target = await snapshotOf(gitdir, undoId);
      return serialized(gitdir, async () => {
        assertProjectNotBusy(folder);
        const wanted = new Set(paths);
        let changes: Change[] = [];
        const pre = await checkpointLocked(folder, gitdir, { ref: PRE_ROLLBACK_REF }, validateRef(PRE_ROLLBACK_REF), (now) => {
          changes = dropUntracked(folder, compare(target, now).filter((c) => wanted.has(c.path)));
          return rollbackMessage(`before undoing rollback ${undoId}`, undoId, changes);
        });
        await apply(folder, gitdir, changes, target);
        return respond(changes, by, pre.commit);
      });
    },
  };
  return api;
}
