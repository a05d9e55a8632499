import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClustrEvent, Message } from "@clustr/protocol";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCommandLine, startServer, type RunningServer } from "../src/index.js";
import { Received, type ClientSocket } from "./workspace-harness.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/mcp-agent.mjs", import.meta.url));

/** The MCP SDK the bridge itself uses, found through @clustr/core -> @clustr/bridge. */
function mcpSdkDir(): string {
  const core = realpathSync(join(dirname(fileURLToPath(import.meta.resolve("@clustr/core"))), ".."));
  const bridge = realpathSync(join(core, "node_modules", "@clustr", "bridge"));
  return realpathSync(join(bridge, "node_modules", "@modelcontextprotocol", "sdk"));
}

let data: TempDir;
let project: TempDir;
let server: RunningServer;
let base: string;
let headers: Record<string, string>;

beforeEach(async () => {
  data = await makeTempDir("clustr-e2e-data-");
  project = await makeTempDir("clustr-e2e-project-");
  const command = parseCommandLine(["--port", "0", "--data-dir", data.path, "--no-open", project.path], {}, project.path);
  if (command.kind !== "serve") throw new Error("expected a serve command");
  server = await startServer(command.config, { dashboardDir: null, env: { ...process.env, CLUSTR_TEST_MCP_SDK: mcpSdkDir() } });
  base = server.info.url;
  headers = { authorization: `Bearer ${server.info.token}`, "content-type": "application/json" };
});
afterEach(async () => {
  await server.close();
  await data.cleanup();
  await project.cleanup();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function spawnMcpAgent(name: string): Promise<string> {
  const res = await api<{ agent: { id: string } }>("POST", "/api/agents", { name, kind: "command", command: process.execPath, args: [FIXTURE], cwd: project.path, task: "hello" });
  expect(res.status).toBe(201);
  return res.body.agent.id;
}

const screen = async (id: string) => (await api<{ screen: string }>("GET", `/api/agents/${id}/screen`)).body.screen;
const type = (id: string, text: string) => api("POST", `/api/agents/${id}/input`, { text, submit: true });
const onScreen = (id: string, pattern: RegExp, what: string) => waitFor(async () => pattern.exec(await screen(id)), { timeoutMs: 30_000, what });

describe("the real bridge, end to end", () => {
  it("carries messages, broadcasts, waits and context between two MCP agents", async () => {
    const received = new Received();
    const { WebSocket } = (await import(pathToWs())) as { WebSocket: new (url: string, options: { headers: Record<string, string> }) => ClientSocket };
    const events = new WebSocket(`${base.replace("http", "ws")}/api/events`, { headers: { authorization: headers.authorization! } });
    received.attach(events);

    const a = await spawnMcpAgent("alpha");
    const b = await spawnMcpAgent("beta");
    await onScreen(a, /^tools: 10$/m, "alpha's bridge tools");
    await onScreen(b, /^tools: 10$/m, "beta's bridge tools");
    await waitFor(async () => (await api<{ agent: { status: string } }>("GET", `/api/agents/${b}`)).body.agent.status === "running", { timeoutMs: 30_000, what: "beta running" });

    // A sends to B; B's terminal gets the notice, and B reads it.
    await type(a, "send beta hello-from-alpha");
    const sent = await onScreen(a, /^sent #(\d+) to beta$/m, "sent");
    const id = Number(sent[1]);
    await onScreen(b, new RegExp(`^\\[clustr\\] message #${id} from alpha: hello-from-alpha`, "m"), "notice on beta");
    await onScreen(b, new RegExp(`^read: #${id} hello-from-alpha$`, "m"), "beta read it");
    const message = (await api<{ messages: Message[] }>("GET", `/api/messages?agent=beta`)).body.messages.find((m) => m.id === id)!;
    expect(message).toMatchObject({ from: a, to: b, state: "read" });

    // Its states arrived on /api/events in order: queued -> delivered -> read.
    await waitFor(() => states(received.events(), id).length === 3, { timeoutMs: 10_000, what: "three message events" });
    expect(states(received.events(), id)).toEqual(["message.created:queued", "message.updated:delivered", "message.updated:read"]);
    const seqs = received.events().map((e) => e.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);

    // A broadcast reaches every other agent.
    await type(a, "send * hi-all");
    await onScreen(a, /^sent #\d+ to \*$/m, "broadcast sent");
    await onScreen(b, /^read: #\d+ hi-all$/m, "beta read the broadcast");

    // wait_for_message returns as soon as the user writes.
    await type(b, "wait 30");
    await new Promise((r) => setTimeout(r, 500));
    expect((await api("POST", "/api/messages", { to: "beta", body: "wake-up" })).status).toBe(201);
    await onScreen(b, /^waited: wake-up$/m, "wait returned");

    // Context versions: a stale version is a conflict, not an overwrite.
    await type(a, "ctx plan one");
    await onScreen(a, /^ctx plan v1$/m, "v1");
    await type(b, "ctx plan two 1");
    await onScreen(b, /^ctx plan v2$/m, "v2");
    await type(a, "ctx plan three 1");
    await onScreen(a, /^error: .*version_conflict/m, "conflict");
    expect((await api<{ entry: { value: string; author: string } }>("GET", "/api/context/plan")).body.entry).toMatchObject({ value: "two", author: b });
    events.close();
  });
});

function states(events: ClustrEvent[], id: number): string[] {
  return events.flatMap((e) => ((e.type === "message.created" || e.type === "message.updated") && e.data.message.id === id ? [`${e.type}:${e.data.message.state}`] : []));
}

/** `ws`, the client the server's own WebSocket library provides. */
function pathToWs(): string {
  const server = realpathSync(join(dirname(fileURLToPath(import.meta.url)), ".."));
  const fastifyWs = realpathSync(join(server, "node_modules", "@fastify", "websocket"));
  return join(fastifyWs, "..", "..", "ws", "index.js");
}
