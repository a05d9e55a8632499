import { readdirSync, readFileSync } from "node:fs";

/**
 * Start time of a process, in clock ticks since boot (field 22 of /proc/<pid>/stat), or null
 * when the process is gone or /proc is not there. Two processes with the same pid never share
 * a start time, so this tells a surviving agent from a stranger that reused its pid.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** True while a process with this pid exists (it may belong to another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signal a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/**
 * Pids of every process in the session `sid` (field 6 of /proc/<pid>/stat). An agent's pty
 * makes it a session leader, and shells with job control move background jobs into process
 * groups of their own: the session is what holds all of an agent's processes.
 */
export function sessionMembers(sid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the command name: state, ppid, pgrp, session.
      if (Number(fields[3]) === sid) members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

/**
 * End every process of an agent: its process group and every other process of its session,
 * SIGTERM first and SIGKILL after `graceMs` for whatever is left (a process that ignores SIGTERM
 * included). Resolves once the session is empty, or a second after the SIGKILL when processes
 * linger as zombies of another parent.
 */
export async function endSession(sid: number, graceMs = 2000): Promise<void> {
  const signalAll = (signal: NodeJS.Signals) => {
    signalGroup(sid, signal);
    for (const pid of sessionMembers(sid)) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  };
  signalAll("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (sessionMembers(sid).length === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  signalAll("SIGKILL");
  const hardDeadline = Date.now() + 1000;
  while (Date.now() < hardDeadline && sessionMembers(sid).length > 0) await new Promise((r) => setTimeout(r, 25));
}
