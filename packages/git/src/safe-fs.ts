import { randomBytes } from "node:crypto";
import { lstatSync } from "node:fs";
import { chmod, lstat, mkdir, rename, rmdir, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ClustrError } from "@clustr/protocol";
import type { FileMode } from "./stat-cache.js";

/**
 * Normalise a caller's path (relative to the folder, `/` separators) or throw
 * `validation_failed`: absolute paths, `..`, `.`, empty segments and NUL never reach the disk.
 */
export function normalizeRelPath(input: string): string {
  const path = input.replace(/\\/g, "/").replace(/\/+$/, "");
  const bad = (why: string): never => {
    throw new ClustrError("validation_failed", `invalid path ${JSON.stringify(input)}: ${why}`);
  };
  if (path === "") bad("empty");
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) bad("must be relative to the folder");
  if (path.includes("\0")) bad("holds a NUL character");
  for (const seg of path.split("/")) {
    if (seg === "..") bad("may not leave the folder");
    if (seg === "" || seg === ".") bad("not in normal form");
    if (seg === ".git") bad("the project's git metadata is never touched");
  }
  return path;
}

/**
 * Check that writing `path` would stay inside `root`: every existing ancestor is a real folder
 * (a symlink is never followed), except ancestors that the same operation removes first.
 */
export function assertWritableInside(root: string, path: string, removedFirst: ReadonlySet<string>): void {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join("/");
    if (removedFirst.has(dir)) return;
    let st;
    try {
      st = lstatSync(join(root, dir));
    } catch {
      return; // missing: created as a real folder
    }
    if (st.isSymbolicLink()) {
      throw new ClustrError("conflict", `cannot restore ${path}: ${dir} is now a symlink, which is never followed`);
    }
    if (!st.isDirectory()) throw new ClustrError("conflict", `cannot restore ${path}: ${dir} is not a folder`);
  }
}

async function ensureDirs(root: string, dir: string): Promise<void> {
  if (dir === "." || dir === "") return;
  const parts = dir.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const abs = join(root, ...parts.slice(0, i));
    try {
      const st = await lstat(abs);
      if (!st.isDirectory()) throw new ClustrError("conflict", `${parts.slice(0, i).join("/")} is not a folder`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await mkdir(abs);
    }
  }
}

/** Write a file or symlink at `path` (inside `root`) with git's mode, atomically by rename. */
export async function restoreFile(root: string, path: string, mode: FileMode, content: Buffer): Promise<void> {
  await ensureDirs(root, dirname(path));
  const target = join(root, path);
  const tmp = join(dirname(target), `.clustr-restore-${randomBytes(6).toString("hex")}`);
  try {
    if (mode === "120000") {
      // The target as raw bytes: link targets need not be valid UTF-8.
      await symlink(content, tmp);
    } else {
      await writeFile(tmp, content, { flag: "wx" });
      // chmod after writing: the umask must not decide the executable bit.
      await chmod(tmp, mode === "100755" ? 0o755 : 0o644);
    }
    // A folder emptied by this rollback may stand where the file goes back.
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) await rmdir(target);
    // rename replaces a symlink at the target itself, never what it points to.
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** Remove the file or symlink at `path`, then the folders it leaves empty (but not `keepDirs`). */
export async function removeFile(root: string, path: string, keepDirs: ReadonlySet<string>): Promise<void> {
  try {
    const st = await lstat(join(root, path));
    if (st.isDirectory()) return;
    await unlink(join(root, path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  let dir = dirname(path);
  while (dir !== "." && dir !== "" && !keepDirs.has(dir)) {
    try {
      await rmdir(join(root, dir));
    } catch {
      return; // not empty (ignored files stay), or gone already
    }
    dir = dirname(dir);
  }
}
