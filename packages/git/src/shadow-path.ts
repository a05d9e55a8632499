import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";

/**
 * The shadow repository of a project folder: `checkpoints/<name>-<hash>`, one per folder,
 * named by a hash of the absolute path (readable prefix for people looking at the folder).
 */
export function shadowRepoDir(checkpointsDir: string, folder: string): string {
  const abs = resolve(folder);
  const hash = createHash("sha256").update(abs).digest("hex").slice(0, 16);
  const name = basename(abs).replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40) || "root";
  return join(checkpointsDir, `${name}-${hash}`);
}
