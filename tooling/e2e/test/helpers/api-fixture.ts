// A real `clustr-ai` server (the bin, as a user starts it) whose agents run a real CLI against a
// fake model on loopback, with a returning user's CLI configuration, in a folder the CLI has
// never seen. Everything is driven through the HTTP and WebSocket API.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import { AgentSchema, type Agent, type ClustrEvent } from "@clustr/protocol";
import {
  requireCli,
  startClustrServer,
  startFakeAnthropic,
  startFakeOpenAi,
  claudeEnv,
  cliBaseEnv,
  writeClaudeUserConfig,
  writeCodexUserConfig,
  type ClustrServer,
  type E2eCliId,
  type EventStream,
  type FakeModelServer,
  type RecordedRequest,
} from "../../src/index.js";
import { describeRequests } from "./e2e-fixture.js";

/** The launcher a user runs (`npx clustr-ai`), from this checkout; the root `pnpm test` builds it first. */
export const CLUSTR_BIN = fileURLToPath(new URL("../../../../apps/server/bin/clustr-ai.js", import.meta.url));
const CLUSTR_DIST = fileURLToPath(new URL("../../../../apps/server/dist/cli.js", import.meta.url));
const CODEX_KEY_ENV = "FAKE_OPENAI_KEY";
/** How long an agent may take to start and finish a turn on a busy 2-core machine. */
export const AGENT_TIMEOUT_MS = 150_000;

export type AgentKind = "claude" | "codex";

export interface ApiFixture {
  readonly cli: E2eCliId;
  readonly kind: AgentKind;
  readonly root: TempDir;
  /** The project folder (a git repository the CLI has never seen; its name has a dot). */
  readonly cwd: string;
  /** The server's data folder (`--data-dir`). */
  readonly dataDir: string;
  readonly model: FakeModelServer;
  readonly server: ClustrServer;
  readonly events: EventStream;
  /** Claude: the user's `.claude.json`; Codex: the user's `config.toml`. */
  readonly userConfigPath: string;
  /** What the user's config held before Clustr ran (Claude: the parsed JSON; Codex: the text). */
  readonly userConfigBefore: Record<string, unknown> | string;
  spawn(body: { name: string; task: string; cwd?: string }): Promise<Agent>;
  agent(id: string): Promise<Agent>;
  /** Wait until the agent's `agent.updated` events show it `running` and then `idle`. */
  waitIdle(id: string, what: string): Promise<Agent>;
  /** The fake model's conversation requests of one agent (told apart by the identity in their system prompt). */
  turnsOf(agent: Agent): RecordedRequest[];
  /** A readable dump of the model's requests, the server's output and the agents' screens, for failure messages. */
  describe(): Promise<string>;
  close(): Promise<void>;
}

export function kindOf(cli: E2eCliId): AgentKind {
  return cli.startsWith("claude") ? "claude" : "codex";
}

/**
 * For a `describe`: a function that starts the fixture for `cli`, each one closed after its
 * test.
 */
export function useApiFixture(): (cli: E2eCliId) => Promise<ApiFixture> {
  let fixture: ApiFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  return async (cli) => (fixture = await startApiFixture(cli));
}

export async function startApiFixture(cli: E2eCliId): Promise<ApiFixture> {
  if (!existsSync(CLUSTR_DIST)) throw new Error(`${CLUSTR_DIST} is missing: build the server first (pnpm build)`);
  const kind = kindOf(cli);
  const bin = await requireCli(cli);
  const root = await makeTempDir(`clustr-api-${cli}-`);
  const cwd = join(root.path, "my.project");
  const home = join(root.path, "home");
  mkdirSync(cwd);
  mkdirSync(home);
  writeFileSync(join(cwd, "README.md"), "# a project\n");
  // A git repository: there Codex asks "Trust this folder?" unless Clustr has answered it.
  execFileSync("git", ["init", "-q"], { cwd });

  const model = kind === "claude" ? await startFakeAnthropic() : await startFakeOpenAi();
  let userConfigPath: string;
  let userConfigBefore: Record<string, unknown> | string;
  let env: NodeJS.ProcessEnv;
  if (kind === "claude") {
    const configDir = join(root.path, "claude-config");
    userConfigBefore = writeClaudeUserConfig(configDir, model.apiKey, join(root.path, "older.project"));
    userConfigPath = join(configDir, ".claude.json");
    env = { ...claudeEnv({ home, configDir, model }), CLUSTR_CLAUDE_BIN: bin };
  } else {
    const codexHome = join(root.path, "codex-home");
    userConfigBefore = writeCodexUserConfig(codexHome, model.baseUrl, CODEX_KEY_ENV);
    userConfigPath = join(codexHome, "config.toml");
    env = { ...cliBaseEnv(home), CODEX_HOME: codexHome, [CODEX_KEY_ENV]: model.apiKey, CLUSTR_CODEX_BIN: bin };
  }

  const dataDir = join(root.path, "data");
  let server: ClustrServer | undefined;
  let events: EventStream | undefined;
  try {
    server = await startClustrServer({ bin: CLUSTR_BIN, dataDir, env, cwd });
    events = await server.events(0);
  } catch (error) {
    await server?.stop();
    await model.close();
    await root.cleanup();
    throw error;
  }
  const s = server;
  const ev = events;
  const spawned: Agent[] = [];

  const agent = async (id: string): Promise<Agent> => {
    const answer = await s.api("GET", `/api/agents/${id}`);
    if (answer.status !== 200) throw new Error(`GET /api/agents/${id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return AgentSchema.parse((answer.body as { agent: unknown }).agent);
  };

  return {
    cli,
    kind,
    root,
    cwd,
    dataDir,
    model,
    server: s,
    events: ev,
    userConfigPath,
    userConfigBefore,
    async spawn(body) {
      const answer = await s.api("POST", "/api/agents", { kind, cwd, ...body });
      if (answer.status !== 201) throw new Error(`POST /api/agents answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const created = AgentSchema.parse((answer.body as { agent: unknown }).agent);
      spawned.push(created);
      return created;
    },
    agent,
    async waitIdle(id, what) {
      const ended = (e: ClustrEvent): Agent | undefined =>
        e.type === "agent.updated" && e.data.agent.id === id && ["done", "failed", "killed"].includes(e.data.agent.status) ? e.data.agent : undefined;
      const running = await ev.next(
        (e) => ended(e) ?? (e.type === "agent.updated" && e.data.agent.id === id && e.data.agent.status === "running" ? e.data.agent : undefined),
        `${what} running`,
        AGENT_TIMEOUT_MS,
      );
      if (running.status !== "running") throw new Error(`${what} ended as ${running.status}: ${JSON.stringify(running.error)}`);
      // Idle after it has run: its turn is over. (Poll too: the idle state may have come in the same update as running.)
      await waitFor(
        async () => {
          const now = await agent(id);
          if (now.status !== "running") throw new Error(`${what} ended as ${now.status}: ${JSON.stringify(now.error)}`);
          return now.activity === "idle" ? now : undefined;
        },
        { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: `${what} idle` },
      );
      return agent(id);
    },
    turnsOf: (a) => model.turns().filter((r) => r.view?.system.includes(`You are agent ${a.name} (id ${a.id})`)),
    async describe() {
      const screens: string[] = [];
      for (const a of spawned) {
        const answer = await s.api("GET", `/api/agents/${a.id}/screen`).catch(() => undefined);
        const screen = (answer?.body as { screen?: string } | undefined)?.screen ?? "";
        const now = await agent(a.id).catch(() => undefined);
        screens.push(`--- ${a.name} (${now?.status ?? "?"}/${now?.activity ?? "-"}) ${JSON.stringify(now?.error ?? null)} ---\n${screen}`);
      }
      return [`--- model requests ---`, describeRequests(model), `--- server output ---`, s.output(), ...screens].join("\n");
    },
    async close() {
      ev.close();
      await s.stop();
      await model.close();
      await root.cleanup();
    },
  };
}

/** The user's config file as it is now (Claude: parsed JSON; Codex: text). */
export function readUserConfig(fixture: ApiFixture): Record<string, unknown> | string {
  const text = readFileSync(fixture.userConfigPath, "utf8");
  return fixture.kind === "claude" ? (JSON.parse(text) as Record<string, unknown>) : text;
}

/** Run `body`; on failure, add what the model received, the server printed and the screens showed. */
export async function withDiagnostics<T>(fixture: ApiFixture, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await fixture.describe()}`, { cause: error });
  }
}
