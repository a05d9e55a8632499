import { HEARTBEAT_TIMEOUT_MS, isEnded, type Agent, type AgentActivity, type AgentError, type AgentStatus } from "@clustr/protocol";

/** The fields of an agent the registry changes. */
export interface AgentStatusPatch {
  status?: AgentStatus;
  activity?: AgentActivity | null;
  pid?: number | null;
  exitCode?: number | null;
  error?: AgentError | null;
  endedAt?: string | null;
}

/** Where agents are kept (the store's agents repository, adapted by core). */
export interface AgentRecords {
  get(id: string): Agent | undefined;
  update(id: string, patch: AgentStatusPatch): Agent;
}

export interface RegistryOptions {
  records: AgentRecords;
  /** Told of every change the registry makes (core emits `agent.updated`). */
  onChange: (agent: Agent) => void;
  /**
   * End an agent whose bridge went silent: core kills its process group. The registry has
   * already marked it `done` when this is called.
   */
  onHeartbeatTimeout: (agent: Agent) => void;
  /** Silence after which an agent whose bridge connected is ended (default 60 s). */
  heartbeatTimeoutMs?: number;
  /** How often silence is checked (default a quarter of the timeout, at most 5 s). */
  checkIntervalMs?: number;
  now?: () => number;
}

interface Liveness {
  /** Last heartbeat (or hello), once the bridge has connected. */
  lastBeat: number | null;
  killRequested: boolean;
}

/**
 * The agents' status machine of DESIGN.md "Liveness": starting -> running -> done | failed |
 * killed, driven by process exits, user kills, start failures and bridge heartbeats. An ended
 * agent never changes status again, so a late exit after a heartbeat timeout or a kill changes
 * nothing.
 */
export class Registry {
  private readonly live = new Map<string, Liveness>();
  private readonly timeoutMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: RegistryOptions) {
    this.timeoutMs = options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    const interval = options.checkIntervalMs ?? Math.min(Math.max(this.timeoutMs / 4, 10), 5000);
    this.timer = setInterval(() => this.checkHeartbeats(), interval);
    this.timer.unref();
  }

  /** Start tracking an agent that was just created (status `starting`). */
  track(id: string): void {
    if (!this.live.has(id)) this.live.set(id, { lastBeat: null, killRequested: false });
  }

  /** The pty is up: record its pid. */
  spawned(id: string, pid: number): Agent | undefined {
    return this.change(id, { pid });
  }

  /** Startup passed and the task was given. */
  running(id: string): Agent | undefined {
    const agent = this.options.records.get(id);
    if (!agent || agent.status !== "starting") return agent;
    return this.change(id, { status: "running" });
  }

  /** Activity read from the screen; changes only agents that have not ended. */
  activity(id: string, activity: AgentActivity): Agent | undefined {
    const agent = this.options.records.get(id);
    if (!agent || isEnded(agent.status) || agent.activity === activity) return agent;
    return this.change(id, { activity });
  }

  /** The agent's bridge connected: from now on silence ends the agent. */
  bridgeConnected(id: string): void {
    const entry = this.live.get(id);
    if (entry) entry.lastBeat = this.now();
  }

  heartbeat(id: string): boolean {
    const entry = this.live.get(id);
    if (!entry) return false;
    entry.lastBeat = this.now();
    return true;
  }

  /** The user asked to kill it: its exit will read `killed`, whatever the exit code. */
  killRequested(id: string): void {
    const entry = this.live.get(id);
    if (entry) entry.killRequested = true;
  }

  /** True while the registry tracks the agent (it has not ended). */
  isTracked(id: string): boolean {
    return this.live.has(id);
  }

  /**
   * The process exited: `killed` when the user killed it, `done` on exit 0 (even during
   * startup), `failed` otherwise, with the last screen kept in the error.
   */
  exited(id: string, exit: { exitCode: number | null; signal?: number | string | null; screen?: string }): Agent | undefined {
    const entry = this.live.get(id);
    const agent = this.options.records.get(id);
    if (!agent || isEnded(agent.status)) {
      this.live.delete(id);
      return agent;
    }
    let patch: AgentStatusPatch;
    if (entry?.killRequested) {
      patch = { status: "killed" };
    } else if (exit.exitCode === 0) {
      patch = { status: "done" };
    } else {
      const how = exit.exitCode === null ? `was ended by signal ${String(exit.signal ?? "?")}` : `exited with code ${exit.exitCode}`;
      patch = {
        status: "failed",
        error: { code: "process_exited", message: `the process ${how}`, ...(exit.screen ? { screen: exit.screen } : {}) },
      };
    }
    return this.end(id, { ...patch, exitCode: exit.exitCode });
  }

  /** Startup failed (timeout, launch error): `failed` with the reason. The caller ends the process. */
  failed(id: string, error: AgentError): Agent | undefined {
    const agent = this.options.records.get(id);
    if (!agent || isEnded(agent.status)) return agent;
    return this.end(id, { status: "failed", error });
  }

  /** Mark an agent ended by the user before it had a process. */
  killed(id: string): Agent | undefined {
    const agent = this.options.records.get(id);
    if (!agent || isEnded(agent.status)) return agent;
    return this.end(id, { status: "killed" });
  }

  /** Ends agents whose bridge connected and then went silent for longer than the timeout. */
  checkHeartbeats(): void {
    const now = this.now();
    for (const [id, entry] of this.live) {
      if (entry.lastBeat === null || now - entry.lastBeat <= this.timeoutMs) continue;
      const agent = this.end(id, { status: "done" });
      if (agent) this.options.onHeartbeatTimeout(agent);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.live.clear();
  }

  private end(id: string, patch: AgentStatusPatch): Agent | undefined {
    this.live.delete(id);
    return this.change(id, { activity: null, endedAt: new Date(this.now()).toISOString(), ...patch });
  }

  private change(id: string, patch: AgentStatusPatch): Agent | undefined {
    if (!this.options.records.get(id)) return undefined;
    const agent = this.options.records.update(id, patch);
    this.options.onChange(agent);
    return agent;
  }
}
