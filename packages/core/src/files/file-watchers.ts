import { lstatSync, statSync, type Stats } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { AgentIdSchema, ClustrError, type FileEvent, type FileEventKind } from "@clustr/protocol";
import { IgnoreRules } from "@clustr/git";
import type { FileEventsRepository, NewFileEvent } from "@clustr/store";
import { watch as watchFolder, type FSWatcher } from "chokidar";
import { mergeKinds } from "./merge-kinds.js";

/**
 * Quiet time after a path's last change before it is logged: long enough to fold an
 * editor's save or a formatter's rewrite into one event, short enough to feel live.
 */
const DEFAULT_DEBOUNCE_MS = 100;
/** A path written without pause is still logged this often, so a busy file is not hidden. */
const MIN_MAX_WAIT_MS = 1_000;
/**
 * Distinct paths remembered per folder for {@link FileWatchers.changedSince}. Beyond it the
 * memory is dropped and the hint starts over (a checkpoint then scans the whole folder).
 */
const MAX_HINT_PATHS = 100_000;
/**
 * How long a file whose add was dropped because it was gone (see {@link FileWatchers}) waits for
 * its removal to be reported: chokidar reports it about 100 ms late.
 */
const VANISHED_MS = 5_000;

/** Options of {@link FileWatchers}. */
export interface FileWatchersOptions {
  /** Where every event is stored. */
  fileEvents: FileEventsRepository;
  /** Called with each stored event, in id order (core emits it as `file.changed`). */
  emit: (event: FileEvent) => void;
  /** Quiet time in ms after a path's last change before it is logged (default 100). */
  debounceMs?: number;
  /** Errors of the file system watcher, the store or `emit`; nothing else reports them. */
  onError?: (error: Error) => void;
  /** Where HOME and XDG_CONFIG_HOME are read from to find git's excludes file. */
  env?: NodeJS.ProcessEnv;
}

interface WatchedFolder {
  cwd: string;
  /** Agents running here, in the order they joined. */
  agents: Set<string>;
  /** What git would ignore in this folder; the same rules as its checkpoints. */
  rules: IgnoreRules;
  watcher: FSWatcher;
  ready: Promise<void>;
  readyAtMs: number | undefined;
  closing: Promise<void> | undefined;
  /** Path (relative) -> last change time, for changedSince. */
  changed: Map<string, number>;
  /** Changes are remembered in `changed` from this time on. */
  changedFromMs: number;
}

interface PendingChange {
  folder: WatchedFolder;
  path: string;
  kind: FileEventKind;
  agentIds: Set<string>;
  firstMs: number;
  lastMs: number;
}

const FILE_KINDS: ReadonlySet<string> = new Set<FileEventKind>(["add", "change", "unlink"]);

/** Folder names never watched, whatever the ignore files say. */
const ALWAYS_IGNORED: ReadonlySet<string> = new Set([".git", "node_modules"]);

const toSlashes = (path: string): string => (sep === "/" ? path : path.split(sep).join("/"));

function contains(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Whether nothing is at `path` now (a folder on the way turned into a file counts); when unsure, no. */
function isGone(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) === undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOTDIR";
  }
}

/** Whether `rel` (relative to the folder, `/` separators) is left out of the log. */
function isIgnored(rules: IgnoreRules, rel: string, isDir: boolean): boolean {
  if (rel === "" || rel === ".." || rel.startsWith("../")) return false;
  if (rel.split("/").some((part) => ALWAYS_IGNORED.has(part))) return true;
  return rules.ignores(rel, isDir);
}

/**
 * The file-change log's watchers: one chokidar watcher per folder where agents run, shared by
 * the agents there and stopped when the last of them ends.
 *
 * Ignored: `.git` and `node_modules` folders and whatever git would ignore (`.gitignore` files
 * at any depth, `info/exclude`, `core.excludesFile`); ignored folders are pruned before the
 * watcher descends into them. Bursts are debounced per path, and each flush is stored with
 * one `insertMany` and then emitted in id order.
 *
 * A file added and removed again before its add is logged never existed for anyone, and is not
 * logged at all. That includes the temporary file of an atomic write (written, then renamed
 * over its target, as Claude Code's Write does): chokidar reports its add at once but its
 * removal about 100 ms after the rename, so an add that falls due while its file is already
 * gone is dropped, and so is the removal that follows.
 *
 * Attribution: a change is attributed to every agent whose folder contains it at the time,
 * so an agent in a parent folder shares the changes made in a nested one. When watched
 * folders nest, a change is stored once, by the innermost ready folder containing it (its
 * `cwd` is that folder, its `path` relative to it).
 */
export class FileWatchers {
  private readonly folders = new Map<string, WatchedFolder>();
  private readonly pending = new Map<string, PendingChange>();
  /** Keys of files whose add was dropped because they were gone -> when. */
  private readonly vanished = new Map<string, number>();
  private readonly fileEvents: FileEventsRepository;
  private readonly emit: (event: FileEvent) => void;
  private readonly onError: (error: Error) => void;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private timer: NodeJS.Timeout | undefined;
  private timerDueMs = Infinity;
  private closed = false;

  constructor(options: FileWatchersOptions) {
    const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    if (!Number.isFinite(debounceMs) || debounceMs < 0) {
      throw new ClustrError("validation_failed", "debounceMs must be a non-negative number");
    }
    this.fileEvents = options.fileEvents;
    this.emit = options.emit;
    this.onError = options.onError ?? ((error) => process.emitWarning(error));
    this.env = options.env;
    this.debounceMs = debounceMs;
    this.maxWaitMs = Math.max(MIN_MAX_WAIT_MS, 10 * debounceMs);
  }

  /** How many folders are being watched (one chokidar watcher each). */
  get watcherCount(): number {
    return this.folders.size;
  }

  /** The folders being watched, as given to {@link watch} (resolved). */
  watchedFolders(): string[] {
    return [...this.folders.keys()];
  }

  /**
   * The folders chokidar watches under `cwd` (relative, `/` separators, "" for `cwd`
   * itself), sorted: shows that ignored folders were pruned. Undefined when not watched.
   */
  watchedDirectories(cwd: string): string[] | undefined {
    const folder = this.folders.get(resolve(cwd));
    if (!folder) return undefined;
    const dirs: string[] = [];
    for (const dir of Object.keys(folder.watcher.getWatched())) {
      const path = resolve(folder.cwd, dir);
      if (contains(folder.cwd, path)) dirs.push(toSlashes(relative(folder.cwd, path)));
    }
    return dirs.sort();
  }

  /**
   * Start (or join) watching `cwd` for `agentId`; resolves when the watcher is ready, i.e.
   * when later changes will be seen. Throws `cwd_not_found` when `cwd` is not a folder and
   * `validation_failed` for a malformed agent id, leaving nothing changed.
   */
  async watch(cwd: string, agentId: string): Promise<void> {
    if (this.closed) throw new ClustrError("bad_request", "the file watchers are closed");
    const id = AgentIdSchema.safeParse(agentId);
    if (!id.success) throw new ClustrError("validation_failed", `not an agent id: ${JSON.stringify(agentId)}`);
    if (typeof cwd !== "string" || cwd === "") throw new ClustrError("validation_failed", "cwd must be a non-empty path");
    const folderPath = resolve(cwd);
    let stats: Stats | undefined;
    try {
      stats = statSync(folderPath);
    } catch {
      stats = undefined;
    }
    if (!stats?.isDirectory()) throw new ClustrError("cwd_not_found", `not a folder: ${folderPath}`);

    for (;;) {
      const existing = this.folders.get(folderPath);
      if (existing?.closing) {
        // The last agent there just ended: let that watcher go, then start a fresh one.
        await existing.closing;
        continue;
      }
      if (this.closed) throw new ClustrError("bad_request", "the file watchers are closed");
      const folder = existing ?? this.start(folderPath);
      folder.agents.add(id.data);
      await folder.ready;
      return;
    }
  }

  /** The agent ended: stop watching `cwd` when it was the last one there. */
  async unwatch(cwd: string, agentId: string): Promise<void> {
    const folder = this.folders.get(resolve(cwd));
    if (!folder) return;
    folder.agents.delete(agentId);
    if (folder.agents.size > 0) return;
    await this.stop(folder);
  }

  /**
   * Agents attributed to changes in `cwd` right now: those running in it and in every
   * watched folder that contains it.
   */
  agentsIn(cwd: string): string[] {
    return this.agentsFor(resolve(cwd));
  }

  /**
   * Paths (relative to `cwd`, `/` separators; files and folders) changed under the watched
   * folder `cwd` since `sinceMs` (epoch ms), ignored paths left out: a hint for the git
   * checkpointer. Undefined when the folder has not been watched all that time, so no hint
   * can be given.
   */
  changedSince(cwd: string, sinceMs: number): string[] | undefined {
    const folder = this.folders.get(resolve(cwd));
    if (!folder || folder.closing || folder.readyAtMs === undefined) return undefined;
    if (sinceMs < folder.readyAtMs || sinceMs < folder.changedFromMs) return undefined;
    const paths: string[] = [];
    for (const [path, atMs] of folder.changed) if (atMs >= sinceMs) paths.push(path);
    return paths;
  }

  /** Stop every watcher, storing and emitting the changes still waiting for their window. */
  async close(): Promise<void> {
    this.closed = true;
    const folders = [...this.folders.values()];
    for (const folder of folders) folder.agents.clear();
    await Promise.all(folders.map((folder) => this.stop(folder)));
    this.flush(() => true);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(cwd: string): WatchedFolder {
    const rules = new IgnoreRules(cwd, this.env === undefined ? {} : { env: this.env });
    const watcher = watchFolder(cwd, {
      ignoreInitial: true,
      // A symlink to a folder elsewhere would pull a whole other tree in; it is logged as a link.
      followSymlinks: false,
      // Called with stats while chokidar reads a folder, so ignored folders are never entered.
      ignored: (path, stats) => isIgnored(rules, toSlashes(relative(cwd, path)), stats?.isDirectory() ?? false),
    });
    const now = Date.now();
    const folder: WatchedFolder = {
      cwd,
      agents: new Set(),
      rules,
      watcher,
      ready: new Promise<void>((resolveReady) => watcher.once("ready", () => resolveReady())),
      readyAtMs: undefined,
      closing: undefined,
      changed: new Map(),
      changedFromMs: now,
    };
    void folder.ready.then(() => {
      folder.readyAtMs = Date.now();
    });
    watcher.on("all", (event, path) => this.onChange(folder, event, path));
    watcher.on("error", (error) => this.onError(asError(error)));
    this.folders.set(cwd, folder);
    return folder;
  }

  private stop(folder: WatchedFolder): Promise<void> {
    folder.closing ??= (async () => {
      await folder.ready;
      try {
        await folder.watcher.close();
      } catch (error) {
        this.onError(asError(error));
      }
      // Its last changes keep the agents they were attributed to when they happened.
      this.flush((change) => change.folder === folder);
      if (this.folders.get(folder.cwd) === folder) this.folders.delete(folder.cwd);
    })();
    return folder.closing;
  }

  private onChange(folder: WatchedFolder, event: string, absolute: string): void {
    const path = toSlashes(relative(folder.cwd, absolute));
    if (path === "" || path.startsWith("../")) return;
    const now = Date.now();
    if (basename(absolute) === ".gitignore") folder.rules.reload(toSlashes(relative(folder.cwd, dirname(absolute))));
    const isFile = FILE_KINDS.has(event);
    // The rules may have changed since chokidar started watching this path.
    if (isIgnored(folder.rules, path, !isFile)) return;
    this.remember(folder, path, now);
    if (!isFile) return;
    if (this.ownerOf(absolute) !== folder) return;

    const key = `${folder.cwd}\0${path}`;
    // The late report of a file whose add was dropped because it was already gone (any other
    // event for the path means it is back).
    if (this.vanished.delete(key) && event === "unlink") return;
    const agentIds = this.agentsFor(absolute);
    const earlier = this.pending.get(key);
    const kind = mergeKinds(earlier?.kind, event as FileEventKind);
    if (kind === undefined) {
      this.pending.delete(key);
      return;
    }
    if (earlier) {
      earlier.kind = kind;
      earlier.lastMs = now;
      for (const id of agentIds) earlier.agentIds.add(id);
    } else {
      this.pending.set(key, { folder, path, kind, agentIds: new Set(agentIds), firstMs: now, lastMs: now });
    }
    this.schedule(now + this.debounceMs);
  }

  private remember(folder: WatchedFolder, path: string, now: number): void {
    if (!folder.changed.has(path) && folder.changed.size >= MAX_HINT_PATHS) {
      folder.changed.clear();
      folder.changedFromMs = now;
    }
    folder.changed.set(path, now);
  }

  /** The innermost watched folder, ready and not stopping, that contains `path`. */
  private ownerOf(path: string): WatchedFolder | undefined {
    let owner: WatchedFolder | undefined;
    for (const folder of this.folders.values()) {
      if (folder.closing || folder.readyAtMs === undefined || !contains(folder.cwd, path)) continue;
      if (!owner || folder.cwd.length > owner.cwd.length) owner = folder;
    }
    return owner;
  }

  private agentsFor(path: string): string[] {
    const agents = new Set<string>();
    for (const folder of this.folders.values()) {
      if (contains(folder.cwd, path)) for (const id of folder.agents) agents.add(id);
    }
    return [...agents];
  }

  /** Make sure a flush runs no later than `dueMs`. */
  private schedule(dueMs: number): void {
    if (this.timer !== undefined && this.timerDueMs <= dueMs) return;
    clearTimeout(this.timer);
    this.timerDueMs = dueMs;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, dueMs - Date.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDueMs = Infinity;
    this.flush((change, now) => now - change.lastMs >= this.debounceMs || now - change.firstMs >= this.maxWaitMs);
    let next = Infinity;
    for (const change of this.pending.values()) {
      next = Math.min(next, change.lastMs + this.debounceMs, change.firstMs + this.maxWaitMs);
    }
    if (next !== Infinity) this.schedule(next);
  }

  /** Store the selected pending changes in one transaction, then emit them in id order. */
  private flush(select: (change: PendingChange, now: number) => boolean): void {
    const now = Date.now();
    for (const [key, atMs] of this.vanished) if (now - atMs > VANISHED_MS) this.vanished.delete(key);
    const batch: NewFileEvent[] = [];
    for (const [key, change] of this.pending) {
      if (!select(change, now)) continue;
      this.pending.delete(key);
      if (change.kind === "add" && isGone(join(change.folder.cwd, change.path))) {
        this.vanished.set(key, now);
        continue;
      }
      batch.push({
        cwd: change.folder.cwd,
        path: change.path,
        kind: change.kind,
        agentIds: [...change.agentIds],
        at: new Date(change.lastMs).toISOString(),
      });
    }
    if (batch.length === 0) return;
    let stored: FileEvent[];
    try {
      stored = this.fileEvents.insertMany(batch);
    } catch (error) {
      this.onError(asError(error));
      return;
    }
    for (const event of stored) {
      try {
        this.emit(event);
      } catch (error) {
        this.onError(asError(error));
      }
    }
  }
}
