import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import type { FileMode } from "./stat-cache.js";

/** Git's test for binary content: a NUL byte within the first 8000 bytes. */
const BINARY_SNIFF_BYTES = 8000;

/** Longest time jsdiff may spend on one file before we show it as a whole replacement. */
const DIFF_TIMEOUT_MS = 2000;

/** True when git would call this content binary. */
export function isBinary(content: Uint8Array | undefined): boolean {
  if (!content) return false;
  const end = Math.min(content.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < end; i++) if (content[i] === 0) return true;
  return false;
}

export interface PatchSide {
  mode: FileMode;
  content: Buffer;
}

function quote(path: string): string {
  return /[\s"\\]/.test(path) ? JSON.stringify(path) : path;
}

/** A hunk replacing all of `before` with all of `after`, for diffs too costly to compute. */
function wholeFileHunk(before: string, after: string): string {
  const lines = (s: string): string[] => (s === "" ? [] : s.split(/(?<=\n)/));
  const a = lines(before);
  const b = lines(after);
  const out = [`@@ -${a.length === 0 ? 0 : 1},${a.length} +${b.length === 0 ? 0 : 1},${b.length} @@\n`];
  const emit = (sign: string, ls: string[]): void => {
    for (const l of ls) out.push(l.endsWith("\n") ? `${sign}${l}` : `${sign}${l}\n\\ No newline at end of file\n`);
  };
  emit("-", a);
  emit("+", b);
  return out.join("");
}

/**
 * A unified patch in git's layout (`diff --git` header, mode lines, then jsdiff's hunks).
 * Binary files get git's one-line notice instead of hunks.
 */
export function makePatch(path: string, before: PatchSide | undefined, after: PatchSide | undefined): { binary: boolean; patch: string } {
  const a = `a/${path}`;
  const b = `b/${path}`;
  const head = [`diff --git ${quote(a)} ${quote(b)}\n`];
  if (!before && after) head.push(`new file mode ${after.mode}\n`);
  else if (before && !after) head.push(`deleted file mode ${before.mode}\n`);
  else if (before && after && before.mode !== after.mode) head.push(`old mode ${before.mode}\nnew mode ${after.mode}\n`);
  const binary = isBinary(before?.content) || isBinary(after?.content);
  const oldName = before ? a : "/dev/null";
  const newName = after ? b : "/dev/null";
  if (binary) {
    return { binary, patch: `${head.join("")}Binary files ${quote(oldName)} and ${quote(newName)} differ\n` };
  }
  const oldText = before?.content.toString("utf8") ?? "";
  const newText = after?.content.toString("utf8") ?? "";
  if (oldText === newText) return { binary, patch: head.join("") };
  const patch = createTwoFilesPatch(oldName, newName, oldText, newText, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
    timeout: DIFF_TIMEOUT_MS,
  });
  const body = patch ?? `--- ${oldName}\n+++ ${newName}\n${wholeFileHunk(oldText, newText)}`;
  return { binary, patch: head.join("") + body };
}
