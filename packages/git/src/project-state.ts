import { existsSync } from "node:fs";
import { join } from "node:path";
import { ClustrError } from "@clustr/protocol";
import { findProjectRepo } from "./ignore-rules.js";

/** Files whose presence means git is in the middle of something a rollback must not disturb. */
const BUSY_MARKERS = [
  ["MERGE_HEAD", "a merge is in progress"],
  ["rebase-merge", "a rebase is in progress"],
  ["rebase-apply", "a rebase or `git am` is in progress"],
  ["CHERRY_PICK_HEAD", "a cherry-pick is in progress"],
  ["REVERT_HEAD", "a revert is in progress"],
  ["index.lock", "another git command holds the index (.git/index.lock exists)"],
] as const;

/** Throw `repo_busy` when the project's git repository is mid-merge, mid-rebase or locked. */
export function assertProjectNotBusy(folder: string): void {
  const repo = findProjectRepo(folder);
  if (!repo) return;
  for (const [marker, why] of BUSY_MARKERS) {
    if (existsSync(join(repo.gitdir, marker))) {
      throw new ClustrError("repo_busy", `cannot roll back now: ${why} in ${repo.top}`, {
        hint: "finish or abort it, then try again",
        data: { marker },
      });
    }
  }
}
