import { randomUUID } from "node:crypto";
import { ClustrError, isClustrError, type Agent, type AgentError } from "@clustr/protocol";
import type { Registry } from "@clustr/registry";
import { endSession, processStartTime } from "@clustr/registry";
import {
  buildLaunch,
  classify,
  cleanupAgentDir,
  inject,
  runStartup,
  spawnPty,
  type LaunchSpec,
  type PastePieces,
  type PtyExit,
  type PtySession,
  type ScreenClassifier,
} from "@clustr/spawner";
import type { DataDirLayout, Store } from "@clustr/store";

/** What a runtime needs from its workspace. */
export interface RuntimeHost {
  layout: DataDirLayout;
  env: NodeJS.ProcessEnv;
  serverUrl: () => string | undefined;
  bridge: { node: string; script: string };
  startTimeoutMs: number;
  cols: number;
  rows: number;
  rules: () => string;
  /** Checkpoint the agent's folder and start logging its changes (before anything runs there). */
  prepareFolder: (agentId: string, cwd: string) => Promise<void>;
  registry: Registry;
  store: Store;
  /** The agent is running and turned idle: deliver what waits for it. */
  onIdle: (agentId: string) => void;
  /** The agent ended (exit, kill, failed start): forget its runtime. */
  onEnded: (agentId: string, cwd: string) => void;
}

export interface RuntimeExtras {
  command: string | undefined;
  args: string[];
  /** Absolute paths of images attached to the task. */
  images: string[];
}

/** Origin given to agents when no server listens (programmatic use): their bridge reports errors. */
const NO_SERVER_URL = "http://127.0.0.1:9";

/**
 * One agent's process and its start: per-agent config, pty, startup screens, waiting for the
 * bridge's tools, the task, then activity and exit reports to the registry.
 */
export class AgentRuntime {
  private session: PtySession | undefined;
  private spec: LaunchSpec | undefined;
  private resolveReady!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.resolveReady = resolve));
  private running = false;
  private ended = false;
  private terminating: Promise<void> | undefined;
  private readonly classifier: ScreenClassifier | undefined;

  constructor(
    private readonly host: RuntimeHost,
    private readonly agent: Agent,
    private readonly token: string,
    private readonly extras: RuntimeExtras,
  ) {
    this.classifier = agent.kind === "command" ? undefined : (screen) => classify(agent.kind, screen);
  }

  get id(): string {
    return this.agent.id;
  }

  /** The start sequence; failures end the agent as `failed` with the reason and the last screen. */
  async start(): Promise<void> {
    const { agent, host } = this;
    try {
      await host.prepareFolder(agent.id, agent.cwd);
      if (this.ended) return;
      const sessionId = agent.kind === "claude" ? randomUUID() : undefined;
      this.spec = await buildLaunch(agent.kind, {
        agentId: agent.id,
        name: agent.name,
        task: agent.task,
        cwd: agent.cwd,
        permissionMode: agent.permissionMode,
        rulesText: host.rules(),
        layout: host.layout,
        serverUrl: host.serverUrl() ?? NO_SERVER_URL,
        token: this.token,
        bridge: host.bridge,
        env: host.env,
        ...(this.extras.command === undefined ? {} : { command: this.extras.command, args: this.extras.args }),
        ...(sessionId ? { sessionId } : {}),
      });
      if (this.ended) return;
      if (sessionId) host.store.agents.update(agent.id, { sessionId });
      const session = spawnPty({
        file: this.spec.file,
        args: this.spec.args,
        cwd: agent.cwd,
        env: this.spec.env,
        cols: host.cols,
        rows: host.rows,
        ...(this.classifier ? { classify: this.classifier } : {}),
      });
      this.session = session;
      host.store.agents.update(agent.id, { processStartTime: processStartTime(session.pid) });
      host.registry.spawned(agent.id, session.pid);
      session.onExit((exit) => this.onExit(exit));
      session.onActivity(({ activity }) => {
        host.registry.activity(agent.id, activity);
        if (activity === "idle" && this.running) host.onIdle(agent.id);
      });
      await runStartup({
        session,
        task: this.taskText(),
        // claude and codex get their task once the bridge answered their first tools/list;
        // a command agent once its screen is idle.
        ready: agent.kind === "command" ? undefined : this.ready,
        timeoutMs: host.startTimeoutMs,
        inject: this.pasteOptions(),
        onNeedsInput: () => host.registry.activity(agent.id, "needs-input"),
      });
      if (this.ended) return;
      this.running = true;
      host.registry.running(agent.id);
      host.registry.activity(agent.id, session.activity);
      if (session.activity === "idle") host.onIdle(agent.id);
    } catch (error) {
      if (this.ended) return;
      const screen = this.session?.screen();
      const failure: AgentError = isClustrError(error)
        ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
        : { code: "spawn_failed", message: (error as Error).message };
      host.registry.failed(agent.id, screen ? { ...failure, screen } : failure);
      await this.finish();
    }
  }

  /** The bridge answered the CLI's first tools/list. */
  toolsReady(): void {
    this.resolveReady();
  }

  /** True when a notice typed now would be the agent's own user turn. */
  canDeliver(): boolean {
    const session = this.session;
    if (!this.running || this.ended || !session || session.activity !== "idle") return false;
    return (session.screenState?.inputText ?? "") === "";
  }

  /** Type a one-line notice and submit it; true once the CLI took it. */
  async injectNotice(text: string): Promise<boolean> {
    if (!this.canDeliver() || !this.session) return false;
    try {
      const result = await inject(this.session, text, { submit: true, ...this.pasteOptions() });
      // A plain program cannot show that it took the line; the Enter was pressed, which is all it needs.
      return this.classifier ? result.confirmed : result.submits > 0;
    } catch (error) {
      // The agent ended while the notice was being typed: the message stays queued.
      if (isClustrError(error) && error.code === "process_exited") return false;
      throw error;
    }
  }

  /** Typed input from the API (sanitised, pasted, one submit sent by Clustr). */
  async typeInput(text: string, submit: boolean): Promise<void> {
    await inject(this.requireSession(), text, { submit, ...this.pasteOptions() });
  }

  screen(): string {
    return this.session?.screen() ?? "";
  }

  /** The live pty, for the terminal socket. */
  pty(): PtySession {
    return this.requireSession();
  }

  /** End the agent's process group and wait for its exit. */
  terminate(): Promise<void> {
    if (!this.terminating) {
      this.terminating = (async () => {
        if (this.session) {
          // The group alone is not enough: shells with job control give background jobs groups
          // of their own. Everything in the pty's session goes.
          await Promise.all([this.session.close(), endSession(this.session.pid)]);
        } else {
          this.host.registry.killed(this.agent.id);
          await this.finish();
        }
      })();
    }
    return this.terminating;
  }

  private onExit(exit: PtyExit): void {
    this.host.registry.exited(this.agent.id, {
      exitCode: exit.signal ? null : exit.exitCode,
      signal: exit.signal ?? null,
      screen: this.session?.screen() ?? "",
    });
    void this.finish();
  }

  private async finish(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.running = false;
    this.resolveReady();
    if (this.session) {
      // Whatever the agent left running in its session (background jobs) ends with it.
      await endSession(this.session.pid, 1000);
      this.session.dispose();
    }
    cleanupAgentDir(this.host.layout, this.agent.id);
    this.host.onEnded(this.agent.id, this.agent.cwd);
  }

  /** How this CLI takes long text: in pieces where one paste would not reach the model as written (Claude Code). */
  private pasteOptions(): { pieces?: PastePieces } {
    return this.spec?.pastePieces ? { pieces: this.spec.pastePieces } : {};
  }

  private taskText(): string {
    if (this.extras.images.length === 0) return this.agent.task;
    return `${this.agent.task}\n\nAttached images:\n${this.extras.images.map((path) => `- ${path}`).join("\n")}`;
  }

  private requireSession(): PtySession {
    if (!this.session || this.ended) throw new ClustrError("agent_not_running", `agent '${this.agent.name}' has no running terminal`);
    return this.session;
  }
}
