import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import {
  ClustrError,
  LIMITS,
  PERMISSION_ORDER,
  SpawnAgentBodySchema,
  isEnded,
  type Agent,
  type ClustrEvent,
  type ContextEntry,
  type DiffFile,
  type RollbackBody,
  type RollbackResponse,
  type EventData,
  type EventType,
  type FileEvent,
  type FilesQuery,
  type Message,
  type MessagesQuery,
  type SpawnAgentBody,
} from "@clustr/protocol";
import { Broker, RULES_UPDATED_NOTICE } from "@clustr/broker";
import { Registry, checkSpawnLimits, DEFAULT_MAX_AGENTS, DEFAULT_MAX_DEPTH, reconcileAtStart } from "@clustr/registry";
import { resolveExecutable, sweepAgentDirs, CLAUDE_INSTALL_HINT, CODEX_INSTALL_HINT } from "@clustr/spawner";
import { openStore, type DataDirLayout, type Store } from "@clustr/store";
import { createCheckpointer, type Checkpointer } from "@clustr/git";
import { FileWatchers } from "./files/index.js";
import { defaultBridgeLauncher } from "./bridge-launcher.js";
import { EventBus } from "./event-bus.js";
import { saveImage } from "./images.js";
import { readRules, writeRules } from "./rules.js";
import { AgentRuntime, type RuntimeHost } from "./agent-runtime.js";
import { hashToken, newAgentToken } from "./tokens.js";

/** Options of {@link createWorkspace}. */
export interface WorkspaceOptions {
  /** The data folder (created 0700 if needed). */
  dataDir: string;
  /** Live agents at most (default 20). */
  maxAgents?: number;
  /** Spawn depth at most (default 3: user -> child -> grandchild). */
  maxDepth?: number;
  /** Bridge silence that ends an agent (default 60 s). */
  heartbeatTimeoutMs?: number;
  /** Startup (screens, tools ready, task given) must finish within this (default 120 s). */
  startTimeoutMs?: number;
  /** Environment the agents inherit (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Origin agents' bridges call (the server's URL); can be set later with `setServerUrl`. */
  serverUrl?: string;
  /** How agents start their bridge (default: this Node and the installed @clustr/bridge). */
  bridge?: { node: string; script: string };
  /** Terminal size of new agents. */
  cols?: number;
  rows?: number;
}

/** Who is calling: the user (dashboard, API, code) or an agent through its bridge. */
export type Caller = { kind: "user" } | { kind: "agent"; agentId: string };
const USER: Caller = { kind: "user" };

/**
 * A Clustr workspace: agents in pseudo-terminals, messages between them, shared context and
 * rules, and one typed event stream. The programmatic API; knows nothing of HTTP.
 */
export class Workspace {
  readonly store: Store;
  readonly layout: DataDirLayout;
  readonly events = new EventBus();
  private readonly registry: Registry;
  private readonly broker: Broker;
  private readonly runtimes = new Map<string, AgentRuntime>();
  private readonly checkpointer: Checkpointer;
  private readonly files: FileWatchers;
  private readonly maxAgents: number;
  private readonly maxDepth: number;
  private serverUrl: string | undefined;
  private closed = false;

  /** Use {@link createWorkspace}. */
  constructor(private readonly options: WorkspaceOptions, store: Store) {
    this.store = store;
    this.layout = store.layout!;
    this.maxAgents = options.maxAgents ?? DEFAULT_MAX_AGENTS;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.serverUrl = options.serverUrl;
    this.checkpointer = createCheckpointer({ checkpointsDir: this.layout.checkpoints });
    this.files = new FileWatchers({ fileEvents: store.fileEvents, emit: (event) => this.emit("file.changed", { event }) });
    this.registry = new Registry({
      records: store.agents,
      onChange: (agent) => this.onAgentChanged(agent),
      onHeartbeatTimeout: (agent) => void this.runtimes.get(agent.id)?.terminate(),
      ...(options.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
    });
    this.broker = new Broker({
      messages: store.messages,
      agents: store.agents,
      emit: (type, data) => this.emit(type, data),
      // The message stays queued for the next idle moment; say so instead of failing silently.
      onDeliveryError: (agentId, error) => process.emitWarning(`clustr: typing a notice into agent ${agentId} failed: ${String(error)}`),
      delivery: {
        canDeliver: (id) => this.runtimes.get(id)?.canDeliver() ?? false,
        inject: (id, text) => this.runtimes.get(id)?.injectNotice(text) ?? Promise.resolve(false),
      },
    });
  }

  // ---- agents --------------------------------------------------------------------------------

  /**
   * Spawn an agent. Validates, checks what can be known at once (folder, CLI installed, limits,
   * a child's folder and permission mode), records it as `starting` and returns at once; the
   * start (config, pty, startup screens, tools ready, task) runs in the background and ends as
   * `running` or `failed`.
   */
  spawn(input: SpawnAgentBody, caller: Caller = USER): Agent {
    this.assertOpen();
    const parsed = SpawnAgentBodySchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ClustrError("validation_failed", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
    }
    const body = parsed.data;
    const parent = caller.kind === "agent" ? this.requireAgent(caller.agentId) : null;
    const cwd = resolve(body.cwd);
    let permissionMode = body.permissionMode ?? "edits";
    let depth = 1;
    if (parent) {
      const parentInternals = this.store.agents.getInternal(parent.id)!;
      depth = parentInternals.depth + 1;
      const inside = relative(parent.cwd, cwd);
      if (inside.startsWith("..") || isAbsolute(inside)) {
        throw new ClustrError("cwd_outside_parent", `an agent may spawn only inside its own folder (${parent.cwd})`);
      }
      // A child is never more permissive than its parent; it inherits the parent's mode by default.
      const wanted = body.permissionMode ?? parent.permissionMode;
      permissionMode = PERMISSION_ORDER[wanted] > PERMISSION_ORDER[parent.permissionMode] ? parent.permissionMode : wanted;
    }
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
      throw new ClustrError("cwd_not_found", `the folder ${cwd} does not exist`);
    }
    this.checkExecutable(body);
    for (const image of body.images ?? []) {
      if (!existsSync(join(this.layout.images, image))) throw new ClustrError("not_found", `image ${image} was not uploaded`);
    }
    checkSpawnLimits({ liveAgents: this.store.agents.listLive().length, depth, maxAgents: this.maxAgents, maxDepth: this.maxDepth });

    const token = newAgentToken();
    const agent = this.store.agents.create({
      name: body.name,
      kind: body.kind,
      task: body.task,
      cwd,
      parentId: parent?.id ?? null,
      permissionMode,
      command: body.command ?? null,
      args: body.args ?? [],
      images: body.images ?? [],
      depth,
      tokenHash: hashToken(token),
    });
    this.registry.track(agent.id);
    this.emit("agent.created", { agent });
    const runtime = new AgentRuntime(this.runtimeHost(), agent, token, {
      command: body.command,
      args: body.args ?? [],
      images: (body.images ?? []).map((id) => join(this.layout.images, id)),
    });
    this.runtimes.set(agent.id, runtime);
    void runtime.start();
    return agent;
  }

  list(): Agent[] {
    return this.store.agents.list();
  }

  get(idOrName: string): Agent | undefined {
    return this.store.agents.get(idOrName) ?? this.store.agents.getByName(idOrName);
  }

  /** Type into an agent's terminal (`submit`: paste then one Enter sent by Clustr). */
  async input(id: string, text: string, submit = true): Promise<void> {
    await this.requireRuntime(id).typeInput(text, submit);
  }

  /** The agent's current screen as text. */
  screen(id: string): string {
    const runtime = this.runtimes.get(id);
    if (runtime) return runtime.screen();
    this.requireAgent(id);
    return "";
  }

  /** Raw terminal access for the terminal socket: scrollback, live output, input, resize. */
  terminal(id: string): AgentRuntime {
    return this.requireRuntime(id);
  }

  /** Stop an agent (its whole process group); resolves once it has ended. */
  async kill(id: string): Promise<Agent> {
    const agent = this.requireAgent(id);
    if (isEnded(agent.status)) return agent;
    const runtime = this.runtimes.get(id);
    this.registry.killRequested(id);
    if (runtime) await runtime.terminate();
    else this.registry.killed(id);
    return this.store.agents.get(id)!;
  }

  /** Remove an ended agent and its messages. */
  remove(id: string): void {
    const agent = this.requireAgent(id);
    this.store.agents.remove(agent.id);
  }

  // ---- bridge --------------------------------------------------------------------------------

  /** The agent a bridge token belongs to, while that agent has not ended. */
  agentForToken(token: string): Agent | undefined {
    const found = this.store.agents.findByTokenHash(hashToken(token));
    return found && !isEnded(found.agent.status) ? found.agent : undefined;
  }

  bridgeHello(agentId: string): void {
    this.registry.bridgeConnected(agentId);
  }

  bridgeReady(agentId: string): void {
    this.registry.heartbeat(agentId);
    this.runtimes.get(agentId)?.toolsReady();
  }

  heartbeat(agentId: string): void {
    this.registry.heartbeat(agentId);
  }

  // ---- messages ------------------------------------------------------------------------------

  /** Send as the user (`caller` user) or as an agent. `to`: name, id or `*`. */
  sendMessage(to: string, body: string, caller: Caller = USER): Promise<Message[]> {
    return this.broker.send(caller.kind === "agent" ? caller.agentId : null, to, body);
  }

  readMessages(agentId: string): Message[] {
    return this.broker.read(agentId);
  }

  /** Block until a message arrives (at most `timeoutS`); `signal` releases the wait early with none. */
  waitForMessage(agentId: string, timeoutS: number, signal?: AbortSignal): Promise<Message[]> {
    return this.broker.waitFor(agentId, timeoutS, signal);
  }

  listMessages(query: Partial<MessagesQuery> = {}): Message[] {
    const agent = query.agent === undefined ? undefined : this.get(query.agent);
    if (query.agent !== undefined && !agent) return [];
    return this.store.messages.list({ agent: agent?.id, after: query.after, limit: query.limit ?? 100 });
  }

  // ---- context and rules ---------------------------------------------------------------------

  listContext(): ContextEntry[] {
    return this.store.context.list();
  }

  getContext(key: string): ContextEntry | undefined {
    return this.store.context.get(key);
  }

  setContext(key: string, value: string, version?: number, caller: Caller = USER): ContextEntry {
    const entry = this.store.context.set({
      key,
      value,
      author: caller.kind === "agent" ? caller.agentId : null,
      ...(version === undefined ? {} : { expectedVersion: version }),
    });
    this.emit("context.changed", { key, entry });
    return entry;
  }

  deleteContext(key: string, version?: number): boolean {
    const deleted = this.store.context.delete(key, version);
    if (deleted) this.emit("context.changed", { key, entry: null });
    return deleted;
  }

  getRules(): string {
    return readRules(this.layout.rules);
  }

  /** Replace the rules; running agents get an idle-gated notice to read them again. */
  setRules(content: string): void {
    writeRules(this.layout.rules, content);
    this.emit("rules.changed", { content });
    const running = this.store.agents.listLive().filter((a) => a.status === "running").map((a) => a.id);
    this.broker.notify(running, RULES_UPDATED_NOTICE);
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  /** What changed in the agent's folder since its checkpoint (taken before it started). */
  async diff(id: string): Promise<DiffFile[]> {
    const { agent, commit } = this.checkpointOf(id);
    return this.checkpointer.diff(agent.cwd, commit);
  }

  /**
   * Roll the agent's folder back to its checkpoint (all changed paths, or `paths`), after
   * checkpointing the current state; `preview` writes nothing; `undo` reverts the last rollback.
   * Each path lists who changed it since the checkpoint (agents, or "user").
   */
  async rollback(id: string, body: RollbackBody = {}): Promise<RollbackResponse> {
    const { agent, commit, createdAt } = this.checkpointOf(id);
    const changedBy = this.changedBy(agent.cwd, createdAt);
    let result: RollbackResponse;
    if (body.undo) {
      const last = this.store.checkpoints.listForAgent(agent.id).filter((c) => c.reason === "pre-rollback").at(-1);
      if (!last) throw new ClustrError("not_found", `agent '${agent.name}' has no rollback to undo`);
      result = await this.checkpointer.undoRollback(agent.cwd, last.commit, { changedBy, agentId: agent.id });
    } else {
      result = await this.checkpointer.rollback(agent.cwd, commit, {
        changedBy,
        agentId: agent.id,
        ...(body.preview ? { preview: true } : {}),
        ...(body.paths ? { paths: body.paths } : {}),
      });
    }
    if (result.undoCheckpointId) {
      this.store.checkpoints.insert({ cwd: agent.cwd, commit: result.undoCheckpointId, agentId: agent.id, reason: "pre-rollback" });
    }
    return result;
  }

  // ---- files and images ----------------------------------------------------------------------

  listFileEvents(query: Partial<FilesQuery> = {}): FileEvent[] {
    const agent = query.agent === undefined ? undefined : this.get(query.agent);
    if (query.agent !== undefined && !agent) return [];
    return this.store.fileEvents.list({ agent: agent?.id, after: query.after, limit: query.limit ?? 100 });
  }

  saveImage(bytes: Uint8Array, declaredType?: string): { id: string; path: string } {
    return saveImage(this.layout.images, bytes, declaredType);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Where agents' bridges reach the server (known once it listens). */
  setServerUrl(url: string): void {
    this.serverUrl = url;
  }

  /** Events after `since` (for reconnecting clients), or a `reset` when too old. */
  replay(since: number): ClustrEvent[] {
    return this.events.replay(since);
  }

  subscribe(listener: (event: ClustrEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** End every agent's process group, then close the database. Leaves no process behind. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const runtimes = [...this.runtimes.values()];
    for (const runtime of runtimes) this.registry.killRequested(runtime.id);
    await Promise.all(runtimes.map((runtime) => runtime.terminate()));
    await this.files.close();
    this.broker.close();
    this.registry.close();
    await this.store.close();
  }

  /** Reconcile agents an earlier run left live, and sweep their config folders. */
  async reconcile(): Promise<void> {
    const live = this.store.agents.listLive().map((agent) => ({ ...agent, processStartTime: this.store.agents.getInternal(agent.id)?.processStartTime ?? null }));
    const ended = await reconcileAtStart({ live, update: (id, patch) => this.store.agents.update(id, patch) });
    for (const agent of ended) this.emit("agent.updated", { agent });
    sweepAgentDirs(this.layout, []);
  }

  private runtimeHost(): RuntimeHost {
    return {
      layout: this.layout,
      env: this.options.env ?? process.env,
      serverUrl: () => this.serverUrl,
      bridge: this.options.bridge ?? defaultBridgeLauncher(),
      startTimeoutMs: this.options.startTimeoutMs ?? 120_000,
      cols: this.options.cols ?? 120,
      rows: this.options.rows ?? 40,
      rules: () => this.getRules(),
      prepareFolder: (agentId, cwd) => this.prepareFolder(agentId, cwd),
      registry: this.registry,
      store: this.store,
      onIdle: (id) => this.broker.onIdle(id),
      onEnded: (id, cwd) => {
        this.runtimes.delete(id);
        this.broker.onEnded(id);
        void this.files.unwatch(cwd, id);
      },
    };
  }

  /** Checkpoint the agent's folder and start logging its file changes, before it starts. */
  private async prepareFolder(agentId: string, cwd: string): Promise<void> {
    // Watch first, so that no change falls between the checkpoint and the log.
    await this.files.watch(cwd, agentId);
    const { commit } = await this.checkpointer.checkpoint(cwd, { ref: agentId, message: `before agent ${agentId} started` });
    const checkpoint = this.store.checkpoints.insert({ cwd, commit, agentId, reason: "agent-start" });
    const agent = this.store.agents.update(agentId, { checkpointId: checkpoint.id });
    this.emit("agent.updated", { agent });
  }

  private checkpointOf(id: string): { agent: Agent; commit: string; createdAt: string } {
    const agent = this.requireAgent(id);
    const checkpoint = agent.checkpointId ? this.store.checkpoints.get(agent.checkpointId) : undefined;
    if (!checkpoint) throw new ClustrError("not_found", `agent '${agent.name}' has no checkpoint yet`);
    return { agent, commit: checkpoint.commit, createdAt: checkpoint.createdAt };
  }

  /**
   * Who changed each path of `cwd` since `since`, from the file-change log: the agents the log
   * attributed the change to, or "user" when no agent ran there at the time. The store picks
   * the events inside `cwd` from that time on; a page is still read at a time so a folder
   * with a long history never loads at once.
   */
  private changedBy(cwd: string, since: string): (path: string) => string[] {
    const byPath = new Map<string, Set<string>>();
    const limit = LIMITS.listMaxLimit;
    for (let after = 0; ; ) {
      const page = this.store.fileEvents.list({ cwd, since, after, limit });
      for (const event of page) {
        // Stored under the innermost watched folder: `cwd` itself, one inside it, or one around it.
        const rel = relative(cwd, join(event.cwd, event.path)).split("\\").join("/");
        const set = byPath.get(rel) ?? new Set<string>();
        if (event.agentIds.length === 0) set.add("user");
        for (const agentId of event.agentIds) set.add(agentId);
        byPath.set(rel, set);
      }
      if (page.length < limit) break;
      after = page.at(-1)!.id;
    }
    return (path) => [...(byPath.get(path) ?? ["user"])];
  }

  private onAgentChanged(agent: Agent): void {
    this.emit("agent.updated", { agent });
  }

  private emit<T extends EventType>(type: T, data: EventData<T>): void {
    this.events.emit(type, data);
  }

  private checkExecutable(body: SpawnAgentBody): void {
    const env = this.options.env ?? process.env;
    if (body.kind === "command") {
      resolveExecutable(body.command!, env, body.cwd);
    } else if (body.kind === "claude") {
      resolveExecutable(env.CLUSTR_CLAUDE_BIN || "claude", env, body.cwd, CLAUDE_INSTALL_HINT);
    } else {
      resolveExecutable(env.CLUSTR_CODEX_BIN || "codex", env, body.cwd, CODEX_INSTALL_HINT);
    }
  }

  private requireAgent(idOrName: string): Agent {
    const agent = this.get(idOrName);
    if (!agent) throw new ClustrError("not_found", `no agent '${idOrName}'`);
    return agent;
  }

  private requireRuntime(idOrName: string): AgentRuntime {
    const agent = this.requireAgent(idOrName);
    const runtime = this.runtimes.get(agent.id);
    if (!runtime || isEnded(agent.status)) throw new ClustrError("agent_not_running", `agent '${agent.name}' is ${agent.status}`);
    return runtime;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClustrError("conflict", "the workspace is closed");
  }
}

/**
 * Open a workspace on a data folder: opens the store (migrating it), marks agents an earlier
 * run left live as killed and ends their surviving processes.
 */
export async function createWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  // A lone send commits at the next turn of the event loop; sends that arrive while a commit
  // holds the loop (better-sqlite3 is synchronous) are parsed in one turn and share the next.
  const store = openStore({ dataDir: options.dataDir, groupCommitWindowMs: 0 });
  const workspace = new Workspace(options, store);
  await workspace.reconcile();
  return workspace;
}
