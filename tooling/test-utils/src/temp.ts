import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary folder; `cleanup()` removes it with everything inside. */
export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
}

/** Make a temporary folder (its real path, so comparisons with `process.cwd()` hold). */
export async function makeTempDir(prefix = "clustr-test-"): Promise<TempDir> {
  const path = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  return {
    path,
    cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}
