import { chmodSync, mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Paths inside the data folder (DESIGN.md "Data folder"). */
export interface DataDirLayout {
  root: string;
  db: string;
  rules: string;
  serverInfo: string;
  agents: string;
  images: string;
  checkpoints: string;
}

/** The data folder: `--data-dir`, else `CLUSTR_HOME`, else `~/.clustr`. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.CLUSTR_HOME) return resolve(env.CLUSTR_HOME);
  return join(homedir(), ".clustr");
}

export function dataDirLayout(root: string): DataDirLayout {
  return {
    root,
    db: join(root, "clustr.db"),
    rules: join(root, "rules.md"),
    serverInfo: join(root, "server.json"),
    agents: join(root, "agents"),
    images: join(root, "images"),
    checkpoints: join(root, "checkpoints"),
  };
}

/**
 * Create the data folder and its sub-folders, mode 0700; an existing folder with looser
 * permissions is tightened. Returns the layout.
 */
export function ensureDataDir(root: string): DataDirLayout {
  const layout = dataDirLayout(resolve(root));
  for (const dir of [layout.root, layout.agents, layout.images, layout.checkpoints]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  }
  return layout;
}
