import git from "isomorphic-git";
import * as fs from "node:fs";
import { objectId, readLooseObject, type ObjectWriter } from "./object-store.js";
import type { SnapshotFile } from "./stat-cache.js";

interface DirNode {
  dirs: Map<string, DirNode>;
  files: Map<string, SnapshotFile>;
}

/** Git orders tree entries bytewise, with folder names compared as if they ended in "/". */
function compareEntries(a: { key: Buffer }, b: { key: Buffer }): number {
  return Buffer.compare(a.key, b.key);
}

/** Tree ids of a snapshot's folders by path ("" for the root), to reuse for unchanged folders. */
export type TreeIds = Map<string, string>;

/**
 * Build and write the tree objects of a flat snapshot; returns the root tree id and the id of
 * every folder. With `previous` (the ids of the last snapshot) and `dirty` (folders holding a
 * path that changed since), unchanged folders keep their id without being encoded again.
 */
export async function writeTrees(
  files: Map<string, SnapshotFile>,
  writer: ObjectWriter,
  previous?: { ids: TreeIds; dirty: ReadonlySet<string> },
): Promise<{ root: string; ids: TreeIds }> {
  const root: DirNode = { dirs: new Map(), files: new Map() };
  for (const [path, file] of files) {
    const parts = path.split("/");
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i] as string;
      let next = node.dirs.get(name);
      if (!next) {
        next = { dirs: new Map(), files: new Map() };
        node.dirs.set(name, next);
      }
      node = next;
    }
    node.files.set(parts[parts.length - 1] as string, file);
  }
  const ids: TreeIds = new Map();
  const writes: Promise<void>[] = [];
  const build = (node: DirNode, dirPath: string): string => {
    const known = previous && !previous.dirty.has(dirPath) ? previous.ids.get(dirPath) : undefined;
    if (known !== undefined) {
      // Unchanged folder: its id stands, and so do those of everything below it.
      const prefix = dirPath === "" ? "" : `${dirPath}/`;
      ids.set(dirPath, known);
      for (const [path, oid] of previous?.ids ?? []) if (path.startsWith(prefix) && path !== dirPath) ids.set(path, oid);
      return known;
    }
    const entries: { key: Buffer; bytes: Buffer }[] = [];
    for (const [name, child] of node.dirs) {
      const oid = build(child, dirPath === "" ? name : `${dirPath}/${name}`);
      entries.push({ key: Buffer.from(`${name}/`), bytes: Buffer.concat([Buffer.from(`40000 ${name}\0`), Buffer.from(oid, "hex")]) });
    }
    for (const [name, file] of node.files) {
      entries.push({ key: Buffer.from(name), bytes: Buffer.concat([Buffer.from(`${file.mode} ${name}\0`), Buffer.from(file.oid, "hex")]) });
    }
    entries.sort(compareEntries);
    const content = Buffer.concat(entries.map((e) => e.bytes));
    const oid = objectId("tree", content);
    ids.set(dirPath, oid);
    writes.push(writer.write("tree", oid, content));
    return oid;
  };
  const rootOid = build(root, "");
  await Promise.all(writes);
  return { root: rootOid, ids };
}

/** Folders (and the root, "") holding a path that differs between two snapshots. */
export function dirtyFolders(before: Map<string, SnapshotFile>, after: Map<string, SnapshotFile>): Set<string> {
  const dirty = new Set<string>();
  const mark = (path: string): void => {
    let slash = path.lastIndexOf("/");
    while (slash > 0) {
      const dir = path.slice(0, slash);
      if (dirty.has(dir)) return; // its ancestors are marked already
      dirty.add(dir);
      slash = dir.lastIndexOf("/");
    }
  };
  dirty.add("");
  for (const [path, a] of after) {
    const b = before.get(path);
    if (!b || b.oid !== a.oid || b.mode !== a.mode) mark(path);
  }
  for (const path of before.keys()) if (!after.has(path)) mark(path);
  return dirty;
}

interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
}

/** Parse a tree object: `<mode> <name>\0<20-byte id>` entries. */
function parseTree(content: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < content.length) {
    const space = content.indexOf(0x20, i);
    const nul = content.indexOf(0, space);
    out.push({
      mode: content.subarray(i, space).toString("latin1"),
      path: content.subarray(space + 1, nul).toString("utf8"),
      oid: content.subarray(nul + 1, nul + 21).toString("hex"),
    });
    i = nul + 21;
  }
  return out;
}

async function readTreeEntries(gitdir: string, oid: string, cache: object): Promise<TreeEntry[]> {
  const loose = await readLooseObject(gitdir, oid, "tree");
  if (loose) return parseTree(loose);
  const { tree } = await git.readTree({ fs, gitdir, oid, cache });
  return tree;
}

/**
 * Read a commit's tree as a flat map of file paths. Loose trees are parsed here; packed ones
 * (after a gc) through isomorphic-git.
 */
export async function readSnapshot(gitdir: string, commit: string, cache: object): Promise<Map<string, SnapshotFile>> {
  const { commit: c } = await git.readCommit({ fs, gitdir, oid: commit, cache });
  const out = new Map<string, SnapshotFile>();
  const walk = async (treeOid: string, prefix: string): Promise<void> => {
    const tree = await readTreeEntries(gitdir, treeOid, cache);
    await Promise.all(
      tree.map(async (entry) => {
        const path = prefix === "" ? entry.path : `${prefix}/${entry.path}`;
        if (entry.mode === "40000" || entry.mode === "040000") await walk(entry.oid, path);
        else if (entry.mode === "100644" || entry.mode === "100755" || entry.mode === "120000") out.set(path, { mode: entry.mode, oid: entry.oid });
      }),
    );
  };
  await walk(c.tree, "");
  return out;
}
