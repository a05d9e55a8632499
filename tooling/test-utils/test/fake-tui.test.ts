import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeyReader, makeTempDir, readFakeTuiLog, waitFor, waitForExit, writeFakeCli, type FakeTuiEvent, type TempDir } from "../src/index.js";

let tmp: TempDir;

beforeEach(async () => {
  tmp = await makeTempDir("clustr-fake-tui-");
});

afterEach(async () => {
  await tmp.cleanup();
});

describe("KeyReader", () => {
  it("splits keys and keeps a paste whole, even across chunks", () => {
    const reader = new KeyReader();
    expect(reader.feed("ab\x1b[A\x1b[B\r\t\x7f\x1b")).toEqual([
      { type: "text", text: "ab" },
      { type: "up" },
      { type: "down" },
      { type: "enter" },
      { type: "tab" },
      { type: "backspace" },
      { type: "esc" },
    ]);
    expect(reader.feed("\x1b[200~line one\r\x1b[A")).toEqual([]);
    expect(reader.feed("line two\x1b[201~\r")).toEqual([{ type: "paste", text: "line one\r\x1b[Aline two" }, { type: "enter" }]);
  });
});

/** A minimal MCP stdio server: answers initialize and tools/list, exits when stdin closes. */
const MCP_SERVER = `
  const rl = require("node:readline").createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    const m = JSON.parse(line);
    const out = (result) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: m.id, result }) + "\\n");
    if (m.method === "initialize") out({ protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "t", version: "1" } });
    if (m.method === "tools/list") out({ tools: [{ name: "send_message" }, { name: "read_messages" }], env: process.env.CLUSTR_AGENT_ID });
  });
`;

function run(bin: string, args: string[]) {
  const child = spawn(bin, args, { cwd: tmp.path, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  return { child, out: () => out };
}

const events = (log: string, type: FakeTuiEvent["event"]): FakeTuiEvent[] => readFakeTuiLog(log).filter((e) => e.event === type);

describe("fake codex", () => {
  it("submits only on an Enter written on its own, and starts the -c MCP server", async () => {
    const log = join(tmp.path, "log.jsonl");
    const server = join(tmp.path, "server.cjs");
    writeFileSync(server, MCP_SERVER);
    const bin = writeFakeCli(join(tmp.path, "codex"), "codex", { log, busyMs: 50 });
    const { child, out } = run(bin, [
      "-c",
      `mcp_servers.clustr.command=${JSON.stringify(process.execPath)}`,
      "-c",
      `mcp_servers.clustr.args=[${JSON.stringify(server)}]`,
      "-c",
      `mcp_servers.clustr.env={CLUSTR_AGENT_ID = "ag_1", CLUSTR_URL = "http://127.0.0.1:1"}`,
    ]);
    await waitFor(() => events(log, "mcp-tools").length === 1, { what: "the MCP tools" });
    // Keys typed while it is still loading are lost, as in the real CLI: wait for the idle screen.
    await waitFor(() => events(log, "screen").length === 1, { what: "the idle screen" });
    expect(events(log, "mcp-tools")).toEqual([{ event: "mcp-tools", names: ["send_message", "read_messages"] }]);
    expect(out()).toContain("› Ask Codex to do anything");
    child.stdin.write("first\r");
    await new Promise((r) => setTimeout(r, 100));
    expect(events(log, "submit")).toEqual([]);
    child.stdin.write("\r");
    await waitFor(() => events(log, "done").length === 1, { what: "the turn" });
    expect(events(log, "submit")).toEqual([{ event: "submit", text: "first\n", toolsReady: true }]);
    child.stdin.end();
    expect((await waitForExit(child)).code).toBe(0);
  });
});

describe("fake claude", () => {
  it("exits when folder trust is refused, as the real CLI does", async () => {
    const log = join(tmp.path, "log.jsonl");
    const bin = writeFakeCli(join(tmp.path, "claude"), "claude", { startup: ["trust"], log });
    const { child, out } = run(bin, ["--permission-mode", "acceptEdits"]);
    await waitFor(() => out().includes("No, exit"), { what: "the trust question" });
    child.stdin.write("\r");
    expect((await waitForExit(child)).code).toBe(1);
    expect(readFakeTuiLog(log)).toEqual([
      { event: "start", argv: ["--permission-mode", "acceptEdits"], cwd: tmp.path, env: expect.any(Object) as Record<string, string> },
      { event: "screen", id: "trust" },
      { event: "answer", screen: "trust", choice: "No, exit" },
      { event: "exit", code: 1 },
    ]);
  });

  it("queues what is submitted while busy and runs it next", async () => {
    const log = join(tmp.path, "log.jsonl");
    const bin = writeFakeCli(join(tmp.path, "claude"), "claude", { log, busyMs: 300 });
    const { child } = run(bin, []);
    await waitFor(() => events(log, "screen").length === 1, { what: "the idle screen" });
    child.stdin.write("\x1b[200~one\x1b[201~");
    child.stdin.write("\r");
    await waitFor(() => events(log, "submit").length === 1, { what: "the first turn" });
    child.stdin.write("two");
    await new Promise((r) => setTimeout(r, 30));
    child.stdin.write("\r");
    await waitFor(() => events(log, "done").length === 2, { what: "both turns" });
    expect(events(log, "queued")).toEqual([{ event: "queued", text: "two" }]);
    expect(events(log, "submit").map((e) => (e.event === "submit" ? e.text : ""))).toEqual(["one", "two"]);
    child.kill();
    await waitForExit(child);
  });
});
