import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync, renameSync, unlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { ClustrError } from "@clustr/protocol";
import type { DataDirLayout } from "@clustr/store";

/** Agent ids become folder names: nothing that could climb out of `agents/`. */
const AGENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Throw `bad_request` unless `agentId` is safe as a folder name. */
export function checkAgentId(agentId: string): void {
  if (!AGENT_ID.test(agentId)) {
    throw new ClustrError("bad_request", `agent id ${JSON.stringify(agentId)} must be 1-128 letters, digits, - or _`);
  }
}

/** Path of an agent's own folder, `agents/<id>/`. */
export function agentDirPath(layout: Pick<DataDirLayout, "agents">, agentId: string): string {
  checkAgentId(agentId);
  return join(layout.agents, agentId);
}

/** Create (or tighten) `agents/<id>/`, mode 0700, and return its path. */
export function prepareAgentDir(layout: Pick<DataDirLayout, "agents">, agentId: string): string {
  const dir = agentDirPath(layout, agentId);
  mkdirSync(layout.agents, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * Write a file only its owner can read (0600), atomically: a reader never sees half a token
 * or half a config, and a symlink planted at the path is replaced, not followed.
 */
export function writePrivateFile(path: string, content: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: "wx" });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was left behind
    }
    throw error;
  }
}

/** Remove an agent's folder and everything in it (nothing happens when it is gone already). */
export function cleanupAgentDir(layout: Pick<DataDirLayout, "agents">, agentId: string): void {
  rmSync(agentDirPath(layout, agentId), { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Remove the folders of agents that no longer run (at server start, after a crash). Entries
 * that are not agent folders are left alone. Returns the ids removed.
 */
export function sweepAgentDirs(layout: Pick<DataDirLayout, "agents">, liveIds: Iterable<string>): string[] {
  const live = new Set(liveIds);
  let names: string[];
  try {
    names = readdirSync(layout.agents);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (live.has(name) || !AGENT_ID.test(name)) continue;
    if (!lstatSync(join(layout.agents, name)).isDirectory()) continue;
    rmSync(join(layout.agents, name), { recursive: true, force: true, maxRetries: 3 });
    removed.push(name);
  }
  return removed.sort();
}
