import { readdirSync, readFileSync } from "node:fs";

/** A live process as /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Session id: every process of a pty session shares its leader's. */
  sid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
}

/**
 * Every live process (Linux /proc). Zombies are left out: they have ended, only their exit
 * status waits for a parent.
 */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || fields[0] === "X") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      out.push({ pid: Number(entry), ppid: Number(fields[1]), sid: Number(fields[3]), cmdline });
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** The live processes of the session led by `sid` (a pty's program and everything it started). */
export function sessionProcesses(sid: number): ProcessInfo[] {
  return listProcesses().filter((p) => p.sid === sid);
}

/** The live processes whose environment holds `name=value` (e.g. an agent's bridge by `CLUSTR_AGENT_ID`). */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
  const wanted = `${name}=${value}`;
  return listProcesses().filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/environ`, "utf8").split("\0").includes(wanted);
    } catch {
      return false;
    }
  });
}
