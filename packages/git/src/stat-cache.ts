import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Git file modes as they appear in tree objects. */
export type FileMode = "100644" | "100755" | "120000";

/** One file of a snapshot: its mode and blob id. */
export interface SnapshotFile {
  mode: FileMode;
  oid: string;
}

/**
 * What a file looked like when it was last hashed: full-precision times from a bigint `lstat`
 * (git's index keeps only what fits its format, which is why its stat data never matches ours).
 */
export interface StatEntry extends SnapshotFile {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  /** Changed too close to the moment it was hashed to trust the times: hash again next time. */
  racy: boolean;
}

/** The stat cache of one shadow repository: the files of its last commit, with their stat data. */
export interface StatCache {
  commit: string;
  files: Map<string, StatEntry>;
}

const CACHE_FILE = "clustr-stat-cache.json";
const CACHE_VERSION = 1;

type Row = [path: string, mode: FileMode, oid: string, size: string, mtimeNs: string, ctimeNs: string, ino: string, racy: 0 | 1];

/** Load the stat cache, or undefined when there is none or it cannot be read. */
export async function loadStatCache(gitdir: string): Promise<StatCache | undefined> {
  let text: string;
  try {
    text = await readFile(join(gitdir, CACHE_FILE), "utf8");
  } catch {
    return undefined;
  }
  try {
    const data = JSON.parse(text) as { version: number; commit: string; rows: Row[] };
    if (data.version !== CACHE_VERSION || typeof data.commit !== "string" || !Array.isArray(data.rows)) return undefined;
    const files = new Map<string, StatEntry>();
    for (const [path, mode, oid, size, mtimeNs, ctimeNs, ino, racy] of data.rows) {
      files.set(path, { mode, oid, size: BigInt(size), mtimeNs: BigInt(mtimeNs), ctimeNs: BigInt(ctimeNs), ino: BigInt(ino), racy: racy === 1 });
    }
    return { commit: data.commit, files };
  } catch {
    // A damaged cache only costs a full re-hash.
    return undefined;
  }
}

/** Save the stat cache (atomically: a half-written cache is never read back). */
export async function saveStatCache(gitdir: string, cache: StatCache): Promise<void> {
  const rows: Row[] = [];
  for (const [path, e] of cache.files) rows.push([path, e.mode, e.oid, String(e.size), String(e.mtimeNs), String(e.ctimeNs), String(e.ino), e.racy ? 1 : 0]);
  const file = join(gitdir, CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ version: CACHE_VERSION, commit: cache.commit, rows }));
  await rename(tmp, file);
}
