import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { ClustrError, ServerInfoSchema, type ServerInfo } from "@clustr/protocol";

/** How long a running server gets to answer the health check before it is taken for dead. */
const PROBE_TIMEOUT_MS = 2000;

/** What `server.json` says, or why it says nothing useful. */
export type ServerInfoState =
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string }
  | { kind: "present"; info: ServerInfo };

/** Read and validate `server.json`. */
export function readServerInfo(path: string): ServerInfoState {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", reason: (error as Error).message };
  }
  try {
    const parsed = ServerInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? { kind: "present", info: parsed.data } : { kind: "unreadable", reason: "not a server.json" };
  } catch {
    return { kind: "unreadable", reason: "not JSON" };
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else — alive, though not ours to signal.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the server `server.json` describes still runs. After a `kill -9` the file stays
 * behind, its pid may since have gone to an unrelated process and its port to another program
 * (even another Clustr server): so the pid must be alive, a Clustr server must answer the health
 * check at its URL, and that server must accept the token the file records.
 */
export async function isServerRunning(info: ServerInfo): Promise<boolean> {
  if (!pidAlive(info.pid)) return false;
  try {
    const health = await fetch(`${info.url}/api/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!health.ok || ((await health.json()) as { ok?: unknown }).ok !== true) return false;
    // Any guarded route tells whether the token is this server's: only a stranger answers 401.
    const guarded = await fetch(`${info.url}/api/agents`, {
      headers: { authorization: `Bearer ${info.token}` },
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await guarded.body?.cancel();
    return guarded.status !== 401;
  } catch {
    return false;
  }
}

function lockedError(dataDir: string, info: ServerInfo): ClustrError {
  return new ClustrError("data_dir_locked", `another Clustr server (pid ${info.pid}) is already using ${dataDir}: ${info.url}`, {
    hint: `open ${info.url} (the address with its token was printed when it started, and is in ${dataDir}/server.json), stop it, or start this one with another --data-dir`,
    data: { pid: info.pid, url: info.url },
  });
}

function removeIfSame(path: string, stale: ServerInfoState): void {
  // Remove only what was judged stale: a server that started meanwhile keeps its file.
  const now = readServerInfo(path);
  const same =
    (now.kind === "present" && stale.kind === "present" && now.info.token === stale.info.token) ||
    (now.kind === "unreadable" && stale.kind === "unreadable");
  if (!same) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/**
 * Refuse to start when another server holds the data folder; clear a stale `server.json` left
 * by a server that crashed. Called before listening so a refused start binds nothing.
 */
export async function assertDataDirFree(path: string, dataDir: string): Promise<void> {
  const state = readServerInfo(path);
  if (state.kind === "missing") return;
  if (state.kind === "present" && (await isServerRunning(state.info))) throw lockedError(dataDir, state.info);
  removeIfSame(path, state);
}

/**
 * Write `server.json` (0600) only if no other server wrote one first: the content goes to a
 * private temporary file that is then hard-linked into place, which fails if the name exists.
 * Readers never see a half-written file, and of two servers starting together exactly one wins.
 */
export async function claimServerInfo(path: string, dataDir: string, info: ServerInfo): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  // A leftover from a crashed process with the same pid could carry looser permissions.
  rmSync(temp, { force: true });
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600, flag: "w" });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temp, path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      }
      const state = readServerInfo(path);
      if (state.kind === "present" && (await isServerRunning(state.info))) throw lockedError(dataDir, state.info);
      removeIfSame(path, state);
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone: nothing to tidy.
    }
  }
}

/** Remove `server.json` if it is still this server's (judged by its token). Safe to call twice. */
export function releaseServerInfo(path: string, token: string): void {
  const state = readServerInfo(path);
  if (state.kind !== "present" || state.info.token !== token) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
