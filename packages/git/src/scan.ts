import { lstatSync, readdirSync, type BigIntStats, type Dirent } from "node:fs";
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { IgnoreRules } from "./ignore-rules.js";
import { objectId, type ObjectWriter } from "./object-store.js";
import type { FileMode, StatCache, StatEntry } from "./stat-cache.js";

/**
 * Files changed within this long before a scan began may change again without their times
 * moving (timestamps are as coarse as the kernel's clock tick): they are hashed again next time.
 */
const RACY_MARGIN_NS = 1_000_000_000n;

/** Files read and hashed at once: enough to keep the thread pool and the disk busy. */
const HASH_CONCURRENCY = 32;

/** Names never stored: the project's own git metadata. */
const ALWAYS_SKIPPED = new Set([".git"]);

interface Found {
  path: string;
  link: boolean;
  st: BigIntStats;
}

/** What a scan of a folder found. */
export interface ScanResult {
  files: Map<string, StatEntry>;
  /** How many files were read and hashed (the rest came from the stat cache). */
  hashed: number;
}

export interface ScanOptions {
  ignore: IgnoreRules;
  /** Write the blobs of hashed files here; without it only ids are computed. */
  writer?: ObjectWriter;
  cache?: StatCache;
  /** Paths (relative to the folder) that may have changed since `cache` was taken. */
  changedPaths?: readonly string[];
  /** Absolute folders never to descend into (e.g. the data folder when it sits inside). */
  skipDirs?: ReadonlySet<string>;
}

function lstatQuiet(abs: string): BigIntStats | undefined {
  try {
    return lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined; // e.g. EACCES: a file we cannot look at is not part of the snapshot
  }
}

/**
 * Walk `rel` (a folder, relative to the root) collecting files and symlinks git would store.
 * Sync calls on purpose: thousands of tiny `lstat`s cost several times more through the thread pool.
 */
function walkDir(root: string, rel: string, opts: ScanOptions, out: Map<string, Found>): void {
  const absDir = rel === "" ? root : join(root, rel);
  if (opts.skipDirs?.has(absDir)) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(absDir, { withFileTypes: true });
  } catch {
    return;
  }
  opts.ignore.noteListing(rel, entries.some((e) => e.name === ".gitignore"));
  for (const entry of entries) {
    const name = entry.name;
    if (ALWAYS_SKIPPED.has(name)) continue;
    const path = rel === "" ? name : `${rel}/${name}`;
    // Folders need no stat data: the type from readdir is enough.
    if (entry.isDirectory()) {
      if (!opts.ignore.isIgnored(path, true)) walkDir(root, path, opts, out);
      continue;
    }
    const st = lstatQuiet(`${absDir}/${name}`);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!opts.ignore.isIgnored(path, true)) walkDir(root, path, opts, out);
    } else if (st.isFile() || st.isSymbolicLink()) {
      if (!opts.ignore.isIgnored(path, false)) out.set(path, { path, link: st.isSymbolicLink(), st });
    }
  }
}

/** Look at one path given by a change hint: skip it if it is ignored or reached through a symlink. */
function visitHinted(root: string, path: string, opts: ScanOptions, out: Map<string, Found>): void {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join("/");
    if (ALWAYS_SKIPPED.has(parts[i - 1] as string) || opts.skipDirs?.has(join(root, dir))) return;
    const st = lstatQuiet(join(root, dir));
    if (!st?.isDirectory() || opts.ignore.isIgnored(dir, true)) return;
  }
  if (ALWAYS_SKIPPED.has(parts[parts.length - 1] as string)) return;
  const st = lstatQuiet(join(root, path));
  if (!st) return;
  if (st.isDirectory()) {
    if (!opts.ignore.isIgnored(path, true)) walkDir(root, path, opts, out);
  } else if ((st.isFile() || st.isSymbolicLink()) && !opts.ignore.isIgnored(path, false)) {
    out.set(path, { path, link: st.isSymbolicLink(), st });
  }
}

function modeOf(f: Found): FileMode {
  if (f.link) return "120000";
  return (f.st.mode & 0o100n) !== 0n ? "100755" : "100644";
}

/** Read what git would store for a path: file bytes, or a symlink's target bytes. */
export async function readStored(abs: string, link: boolean): Promise<Buffer> {
  return link ? readlink(abs, { encoding: "buffer" }) : readFile(abs);
}

/**
 * Snapshot a folder: every file git would track, with its blob id. Files whose full-precision
 * stat data matches the cache keep their cached id; only the others are read and hashed.
 */
export async function scanFolder(root: string, opts: ScanOptions): Promise<ScanResult> {
  const scanStartNs = BigInt(Date.now()) * 1_000_000n;
  const found = new Map<string, Found>();
  const cache = opts.cache;
  let kept: Map<string, StatEntry> | undefined;

  if (cache && opts.changedPaths) {
    // Narrowed scan: everything but the hinted paths is taken from the last snapshot.
    kept = new Map(cache.files);
    const hinted = new Set(opts.changedPaths);
    for (const [path, entry] of cache.files) if (entry.racy) hinted.add(path);
    for (const p of hinted) {
      // A path the snapshot holds as a file has nothing below it; only folders need the sweep.
      if (kept.delete(p)) continue;
      const prefix = `${p}/`;
      for (const path of kept.keys()) if (path.startsWith(prefix)) kept.delete(path);
    }
    for (const p of hinted) visitHinted(root, p, opts, found);
  } else {
    walkDir(root, "", opts, found);
  }

  const files = new Map<string, StatEntry>(kept);
  const toHash: Found[] = [];
  for (const f of found.values()) {
    const prev = cache?.files.get(f.path);
    const st = f.st;
    if (
      prev &&
      !prev.racy &&
      prev.mtimeNs === st.mtimeNs &&
      prev.ctimeNs === st.ctimeNs &&
      prev.size === st.size &&
      prev.ino === st.ino &&
      prev.mode === modeOf(f)
    ) {
      files.set(f.path, prev);
    } else {
      toHash.push(f);
    }
  }

  let next = 0;
  let hashed = 0;
  const worker = async (): Promise<void> => {
    while (next < toHash.length) {
      const f = toHash[next++] as Found;
      let content: Buffer;
      try {
        content = await readStored(join(root, f.path), f.link);
      } catch {
        continue; // removed (or made unreadable) while we looked: not part of this snapshot
      }
      const oid = objectId("blob", content);
      if (opts.writer) await opts.writer.write("blob", oid, content);
      hashed++;
      const newest = f.st.mtimeNs > f.st.ctimeNs ? f.st.mtimeNs : f.st.ctimeNs;
      files.set(f.path, {
        mode: modeOf(f),
        oid,
        size: f.st.size,
        mtimeNs: f.st.mtimeNs,
        ctimeNs: f.st.ctimeNs,
        ino: f.st.ino,
        // A file that was changed again after we read it, within the same clock tick, would
        // keep these exact times: distrust recent ones. Also distrust a size that moved.
        racy: newest >= scanStartNs - RACY_MARGIN_NS || BigInt(content.length) !== f.st.size,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, toHash.length) }, worker));
  return { files, hashed };
}
