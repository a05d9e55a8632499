import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { createServer } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { BRIDGE_ROUTES, BRIDGE_TOOL_NAMES, LIMITS, type ContextEntry, type Message } from "@clustr/protocol";
import { makeTempDir, waitFor, waitForExit, isAlive } from "@clustr/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { bridgeScriptPath } from "../src/index.js";
import { startFakeServer, type CannedAnswer, type FakeServer, type RecordedRequest } from "./fake-server.js";

const TOKEN = "agent-token-5b3c9e1f0a7d";
const AGENT_ID = "abcd1234";

const message: Message = {
  id: 7,
  from: AGENT_ID,
  to: "efgh5678",
  body: "please review src/app.ts",
  state: "queued",
  createdAt: "2026-11-23T12:00:00.000Z",
  deliveredAt: null,
  readAt: null,
};
const entry: ContextEntry = { key: "plan", value: "ship it", author: AGENT_ID, version: 3, updatedAt: "2026-11-23T12:00:00.000Z" };

type TextContent = { type: "text"; text: string };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function fakeServer(answer?: (request: RecordedRequest, count: number) => CannedAnswer | undefined): Promise<FakeServer> {
  const server = await startFakeServer(answer);
  cleanups.push(() => server.close());
  return server;
}

/** A real MCP client talking to the built bridge over stdio. */
async function connectBridge(env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bridgeScriptPath()],
    env: { CLUSTR_AGENT_ID: AGENT_ID, ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "bridge-test", version: "1.0.0" });
  await client.connect(transport);
  cleanups.push(() => client.close());
  const pid = transport.pid;
  if (pid === null) throw new Error("the bridge did not start");
  return { client, pid, stderr: () => stderr };
}

function textOf(result: Awaited<ReturnType<Client["callTool"]>>): string {
  const content = result.content as TextContent[];
  expect(content[0]?.type).toBe("text");
  return content[0]?.text ?? "";
}

const toolRequests = (server: FakeServer) => server.requests.filter((r) => r.path.startsWith("/api/bridge/tools/"));

describe("clustr-bridge over stdio", () => {
  it("lists the ten tools with JSON input schemas that describe every field", async () => {
    const server = await fakeServer();
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });
    expect(client.getServerVersion()?.name).toBe("clustr");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...BRIDGE_TOOL_NAMES].sort());
    expect(tools).toHaveLength(10);
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toMatch(/\w{3,}/);
      }
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("send_message")?.inputSchema.required).toEqual(["to", "body"]);
    expect(byName.get("set_context")?.inputSchema.required).toEqual(["key", "value"]);
    expect(byName.get("spawn_agent")?.inputSchema.required).toEqual(["name", "kind", "task"]);
    expect(byName.get("spawn_agent")?.inputSchema.properties?.kind).toMatchObject({ enum: ["claude", "codex", "command"] });
    expect(byName.get("wait_for_message")?.inputSchema.properties?.timeout_s).toMatchObject({ maximum: LIMITS.waitForMessageMaxSeconds });
    expect(byName.get("wait_for_message")?.inputSchema.required ?? []).toEqual([]);
  });

  it("says hello at start and reports ready only after answering the first tools/list", async () => {
    const server = await fakeServer();
    const { client, pid } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });
    const [hello] = await waitFor(() => server.to(BRIDGE_ROUTES.hello).length > 0 && server.to(BRIDGE_ROUTES.hello), { what: "hello" });
    expect(hello?.method).toBe("POST");
    expect(hello?.body).toEqual({ pid });
    expect(hello?.authorization).toBe(`Bearer ${TOKEN}`);
    // initialize and the initialized notification are done: the tools are not known yet.
    await new Promise((r) => setTimeout(r, 500));
    expect(server.to(BRIDGE_ROUTES.ready)).toEqual([]);

    await client.listTools();
    await waitFor(() => server.to(BRIDGE_ROUTES.ready).length > 0, { what: "ready" });
    await client.listTools();
    await new Promise((r) => setTimeout(r, 300));
    const paths = server.requests.map((r) => r.path).filter((p) => p !== BRIDGE_ROUTES.heartbeat);
    expect(paths).toEqual([BRIDGE_ROUTES.hello, BRIDGE_ROUTES.ready]);
    expect(server.to(BRIDGE_ROUTES.ready)[0]?.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("reads the token from its file and never carries it in argv", async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.cleanup());
    const tokenFile = join(dir.path, "token");
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const server = await fakeServer();
    const { pid } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN_FILE: tokenFile });
    await waitFor(() => server.to(BRIDGE_ROUTES.hello).length > 0, { what: "hello" });
    expect(server.to(BRIDGE_ROUTES.hello)[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    expect(cmdline).toContain("clustr-bridge.js");
    expect(cmdline).not.toContain(TOKEN);
  });

  it("maps a tool call to its POST and returns the server's result as text and structured content", async () => {
    const server = await fakeServer((request) => {
      if (request.path === BRIDGE_ROUTES.tool("send_message")) return { status: 200, body: { result: { messages: [message] } } };
      if (request.path === BRIDGE_ROUTES.tool("set_context")) return { status: 200, body: { result: { entry } } };
      return undefined;
    });
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });

    const sent = await client.callTool({ name: "send_message", arguments: { to: "reviewer", body: message.body } });
    expect(sent.isError).toBeFalsy();
    expect(sent.structuredContent).toEqual({ messages: [message] });
    expect(JSON.parse(textOf(sent))).toEqual({ messages: [message] });
    const [call] = server.to(BRIDGE_ROUTES.tool("send_message"));
    expect(call?.method).toBe("POST");
    expect(call?.body).toEqual({ to: "reviewer", body: message.body });
    expect(call?.authorization).toBe(`Bearer ${TOKEN}`);

    const set = await client.callTool({ name: "set_context", arguments: { key: "plan", value: "ship it", version: 2 } });
    expect(set.structuredContent).toEqual({ entry });
    expect(server.to(BRIDGE_ROUTES.tool("set_context"))[0]?.body).toEqual({ key: "plan", value: "ship it", version: 2 });
    expect(toolRequests(server)).toHaveLength(2);
  });

  it("waits for a slow wait_for_message answer and sends the default timeout", async () => {
    const server = await fakeServer((request) =>
      request.path === BRIDGE_ROUTES.tool("wait_for_message") ? { status: 200, body: { result: { messages: [message] } }, delayMs: 3_000 } : undefined,
    );
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });
    const result = await client.callTool({ name: "wait_for_message", arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ messages: [message] });
    expect(server.to(BRIDGE_ROUTES.tool("wait_for_message"))[0]?.body).toEqual({ timeout_s: 30 });
  });

  it("drops the HTTP request when the client cancels a tool call", async () => {
    const server = await fakeServer((request) =>
      request.path === BRIDGE_ROUTES.tool("wait_for_message") ? { status: 200, body: { result: { messages: [] } }, delayMs: 50_000 } : undefined,
    );
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });
    const controller = new AbortController();
    const call = client.callTool({ name: "wait_for_message", arguments: { timeout_s: 50 } }, undefined, { signal: controller.signal });
    const [request] = await waitFor(() => server.to(BRIDGE_ROUTES.tool("wait_for_message")).length > 0 && server.to(BRIDGE_ROUTES.tool("wait_for_message")), {
      what: "the wait_for_message call",
    });
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor(() => request?.abandoned, { what: "the bridge to drop the request" });
  });

  it("turns the server's errors into isError results with its message", async () => {
    const server = await fakeServer((request) => {
      if (request.path === BRIDGE_ROUTES.tool("send_message")) {
        return { status: 404, body: { error: { code: "unknown_recipient", message: "no agent named ghost" } } };
      }
      if (request.path === BRIDGE_ROUTES.tool("set_context")) {
        return { status: 409, body: { error: { code: "version_conflict", message: "plan is at version 4, not 2" } } };
      }
      if (request.path === BRIDGE_ROUTES.tool("spawn_agent")) {
        return { status: 429, body: { error: { code: "limit_reached", message: "20 agents are running", hint: "end one first" } } };
      }
      if (request.path === BRIDGE_ROUTES.tool("get_rules")) return { status: 200, body: { result: { content: 42 } } };
      return undefined;
    });
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });

    const unknown = await client.callTool({ name: "send_message", arguments: { to: "ghost", body: "hi" } });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/no agent named ghost.*unknown_recipient/);

    const conflict = await client.callTool({ name: "set_context", arguments: { key: "plan", value: "x", version: 2 } });
    expect(conflict.isError).toBe(true);
    expect(textOf(conflict)).toMatch(/version 4, not 2.*version_conflict/);

    const limit = await client.callTool({ name: "spawn_agent", arguments: { name: "helper", kind: "claude", task: "t" } });
    expect(limit.isError).toBe(true);
    expect(textOf(limit)).toMatch(/20 agents are running \(end one first\) \[limit_reached\]/);

    const malformed = await client.callTool({ name: "get_rules", arguments: {} });
    expect(malformed.isError).toBe(true);
    expect(textOf(malformed)).toMatch(/unexpected answer to get_rules/);
  });

  it("refuses invalid input before any HTTP call", async () => {
    const server = await fakeServer();
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["send_message", { to: "reviewer", body: "x".repeat(LIMITS.messageBodyMaxBytes + 1) }, /body.*larger than 65536 bytes/],
      ["send_message", { to: "bad name!", body: "hi" }, /to:/],
      ["get_context", { key: "has space" }, /key.*whitespace/],
      ["set_context", { key: "plan", value: "v", version: 0 }, /version/],
      ["spawn_agent", { name: "helper", kind: "claude", task: "t", cwd: "relative/dir" }, /cwd: path must be absolute/],
      ["spawn_agent", { name: "helper", kind: "gemini", task: "t" }, /kind/],
      ["wait_for_message", { timeout_s: 51 }, /timeout_s/],
      ["list_agents", { as: "someone-else" }, /Unrecognized key/i],
    ];
    for (const [name, args, reason] of cases) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(textOf(result), name).toMatch(/^invalid input for /);
      expect(textOf(result), name).toMatch(reason);
    }
    await expect(client.callTool({ name: "drop_database", arguments: {} })).rejects.toThrow(/unknown tool drop_database/);
    expect(toolRequests(server)).toEqual([]);
  });

  it("keeps running while the server is unreachable and says so in tool errors", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const { client, pid, stderr } = await connectBridge({ CLUSTR_URL: `http://127.0.0.1:${port}`, CLUSTR_AGENT_TOKEN: TOKEN });
    expect((await client.listTools()).tools).toHaveLength(10);
    const result = await client.callTool({ name: "read_messages", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`Clustr server at http://127.0.0.1:${port} is unreachable`));
    await waitFor(() => stderr().includes("hello failed"), { what: "the hello failure on stderr" });
    expect(stderr()).not.toContain(TOKEN);
    expect(isAlive(pid)).toBe(true);
  });

  it("retries hello until the server takes it, then reports ready", async () => {
    const server = await fakeServer((request, count) =>
      request.path === BRIDGE_ROUTES.hello && count < 3 ? { status: 503, body: { error: { code: "internal", message: "starting up" } } } : undefined,
    );
    const { client } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN, CLUSTR_HEARTBEAT_MS: "100" });
    await client.listTools();
    await waitFor(() => server.to(BRIDGE_ROUTES.ready).length > 0, { what: "ready" });
    const paths = server.requests.map((r) => r.path);
    expect(paths.slice(0, 3)).toEqual([BRIDGE_ROUTES.hello, BRIDGE_ROUTES.hello, BRIDGE_ROUTES.hello]);
    // No heartbeat before the server has taken the hello, and ready comes after it.
    expect(paths.indexOf(BRIDGE_ROUTES.ready)).toBeGreaterThan(2);
    expect(paths.indexOf(BRIDGE_ROUTES.heartbeat) === -1 || paths.indexOf(BRIDGE_ROUTES.heartbeat) > 2).toBe(true);
  });

  it("retries the ready report until the server takes it", async () => {
    const server = await fakeServer((request, count) =>
      request.path === BRIDGE_ROUTES.ready && count < 2 ? { status: 500, body: { error: { code: "internal", message: "busy" } } } : undefined,
    );
    const { client, stderr } = await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN, CLUSTR_HEARTBEAT_MS: "100" });
    await client.listTools();
    await waitFor(() => server.to(BRIDGE_ROUTES.ready).length >= 2, { what: "a second ready" });
    await new Promise((r) => setTimeout(r, 500));
    // Taken the second time: no further reports.
    expect(server.to(BRIDGE_ROUTES.ready)).toHaveLength(2);
    expect(stderr()).toMatch(/ready report failed, will retry: busy/);
  });

  it("sends heartbeats at the interval CLUSTR_HEARTBEAT_MS sets", async () => {
    const server = await fakeServer();
    await connectBridge({ CLUSTR_URL: server.url, CLUSTR_AGENT_TOKEN: TOKEN, CLUSTR_HEARTBEAT_MS: "200" });
    // With the default 15 s interval four beats would take a minute.
    const beats = await waitFor(() => server.to(BRIDGE_ROUTES.heartbeat).length >= 4 && server.to(BRIDGE_ROUTES.heartbeat), {
      timeoutMs: 20_000,
      what: "four heartbeats",
    });
    for (const beat of beats) expect(beat.authorization).toBe(`Bearer ${TOKEN}`);
    for (let i = 1; i < beats.length; i++) {
      // Timers never fire early, so beats are at least about one interval apart.
      expect((beats[i]?.at ?? 0) - (beats[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(150);
    }
  });

  it("exits with code 0 when its stdin closes, even with a wait_for_message in flight", async () => {
    const server = await fakeServer((request) =>
      request.path === BRIDGE_ROUTES.tool("wait_for_message") ? { status: 200, body: { result: { messages: [] } }, delayMs: 50_000 } : undefined,
    );
    const child = spawn(process.execPath, [bridgeScriptPath()], {
      env: { ...process.env, CLUSTR_URL: server.url, CLUSTR_AGENT_ID: AGENT_ID, CLUSTR_AGENT_TOKEN: TOKEN },
      stdio: ["pipe", "pipe", "pipe"],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    await waitFor(() => stdout.includes('"id":1'), { what: "the initialize answer" });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "wait_for_message", arguments: { timeout_s: 50 } } });
    await waitFor(() => server.to(BRIDGE_ROUTES.tool("wait_for_message")).length > 0, { what: "the wait_for_message call" });
    child.stdin.end();
    const exit = await waitForExit(child);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it("refuses a bad configuration with a readable error and nothing on stdout", async () => {
    const child = spawn(process.execPath, [bridgeScriptPath(), "--token", TOKEN], {
      env: { ...process.env, CLUSTR_URL: "http://127.0.0.1:1", CLUSTR_AGENT_ID: AGENT_ID },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exit = await waitForExit(child);
    expect(exit.code).toBe(1);
    expect(stderr).toMatch(/^clustr-bridge: the token is never passed as an argument/);
    expect(stdout).toBe("");
  });
});

describe("bridgeScriptPath", () => {
  it("points at the committed bin shim by absolute path", () => {
    const path = bridgeScriptPath();
    expect(isAbsolute(path)).toBe(true);
    expect(path.endsWith(join("bridge", "bin", "clustr-bridge.js"))).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, "utf8")).toContain("../dist/main.js");
  });
});
