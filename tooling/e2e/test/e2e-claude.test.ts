// e2e: the real Claude Code CLI (both supported versions) in a real pty, on a fake Anthropic
// API on loopback, calling a tool of a real stdio MCP server.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, waitFor } from "@clustr/test-utils";
import { claudeEnv, requireCli, startFakeAnthropic, DONE_TEXT, type E2eCliId, type FakeModelServer } from "../src/index.js";
import { describeRequests, longTask, makeE2eFolders, MCP_SERVER_SCRIPT, mcpEvents, waitForMcpEvent, type E2eFolders } from "./helpers/e2e-fixture.js";
import { CLAUDE_PASTE_PIECES, startPty, type PtySession } from "./helpers/pty-session.js";

const SYSTEM_NOTE = "You are agent e2e-agent in a Clustr workspace.";
// Long enough that 2.1.330 would wrap it in <pasted_content> tags if it went as one paste.
const PROMPT = longTask("Tell the lead that the run works, then everyone.", [
  'CALL send_message {"to":"lead","body":"hello from e2e"}',
  'CALL send_message {"to":"*","body":"all done"}',
]);
/** The idle input line (`❯` then a no-break space) and either version's footer. */
const IDLE = /^❯\u00a0[\s\S]*(\? for shortcuts|shift\+tab to cycle)/m;

describe.each<E2eCliId>(["claude-2.1.197", "claude-2.1.330"])("e2e %s", (id) => {
  let folders: E2eFolders | undefined;
  let model: FakeModelServer | undefined;
  let session: PtySession | undefined;

  afterEach(async () => {
    session?.kill("SIGKILL");
    await model?.close();
    await folders?.cleanup();
    session = undefined;
    model = undefined;
    folders = undefined;
  });

  it("takes a typed task, calls the clustr MCP tool the model asks for, and is gone after kill", async () => {
    const bin = await requireCli(id);
    folders = await makeE2eFolders(`clustr-e2e-${id}-`);
    model = await startFakeAnthropic();
    const configDir = join(folders.root.path, "claude-config");
    const mcpConfig = join(folders.root.path, "mcp.json");
    // A returning user's config: onboarding done, this key approved, this folder trusted.
    mkdirSync(configDir);
    writeFileSync(
      join(configDir, ".claude.json"),
      JSON.stringify({
        hasCompletedOnboarding: true,
        customApiKeyResponses: { approved: [model.apiKey.slice(-20)], rejected: [] },
        projects: { [folders.cwd]: { hasTrustDialogAccepted: true } },
      }),
    );
    writeFileSync(
      mcpConfig,
      JSON.stringify({ mcpServers: { clustr: { command: process.execPath, args: [MCP_SERVER_SCRIPT, folders.mcpLog] } } }),
    );
    const env = claudeEnv({ home: folders.home, configDir, model });
    const args = ["--mcp-config", mcpConfig, "--permission-mode", "acceptEdits", "--append-system-prompt", SYSTEM_NOTE, "--allowedTools", "mcp__clustr"];
    session = startPty(bin, args, { cwd: folders.cwd, env });
    const s = session;
    const m = model;
    const f = folders;

    try {
      await waitForMcpEvent(f.mcpLog, (e) => e.event === "tools/list", "the CLI listing the clustr tools");
      await s.waitForScreen(IDLE);
      await s.pasteAndSubmit(PROMPT, () => m.turns().length > 0, { pieces: CLAUDE_PASTE_PIECES });

      // One call per model turn, in the order of the CALL lines.
      await waitFor(() => mcpEvents(f.mcpLog).filter((e) => e.event === "call").length >= 2, { timeoutMs: 90_000, what: "both send_message calls" });
      const calls = mcpEvents(f.mcpLog).filter((e) => e.event === "call");
      expect(calls.map((c) => [c.name, c.arguments])).toEqual([
        ["send_message", { to: "lead", body: "hello from e2e" }],
        ["send_message", { to: "*", body: "all done" }],
      ]);

      // Each tool result goes back to the model, which ends the turn after the last one.
      const last = await waitFor(
        () => m.turns().find((r) => r.view?.toolResults.some((t) => t.output.includes("sent to *")) && r.action?.kind === "text"),
        { timeoutMs: 60_000, what: "the last tool result reaching the model" },
      );
      expect(last.action).toEqual({ kind: "text", text: DONE_TEXT });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- model requests ---\n${describeRequests(m)}\n--- screen ---\n${s.screen()}`, { cause: error });
    }

    if (process.env["CLUSTR_E2E_DEBUG"]) console.log(describeRequests(m));
    const first = m.turns()[0];
    expect(PROMPT.length).toBeGreaterThan(1200);
    expect(PROMPT.split("\n").length).toBeGreaterThan(4);
    // Exactly as typed, as a text block of its own: no <pasted_content> wrapper, nothing unwrapped by the fake.
    expect(first?.view?.userTexts[0]).toBe(PROMPT);
    const firstUser = (first?.body as { messages: { role: string; content: { type: string; text?: string }[] | string }[] }).messages.find((x) => x.role === "user")?.content;
    expect(Array.isArray(firstUser) ? firstUser.map((b) => b.text) : [firstUser]).toContain(PROMPT);
    expect(first?.view?.system).toContain(SYSTEM_NOTE);
    // 2.1.330 defers MCP tools behind ToolSearch: offered directly or by name in the first request.
    const offered = m.turns().some((r) => r.view?.tools.some((t) => t.name === "mcp__clustr__send_message"));
    expect(offered).toBe(true);
    expect(JSON.stringify(first?.body)).toContain("mcp__clustr__send_message");

    const mcpPid = mcpEvents(f.mcpLog).find((e) => e.event === "start")?.pid;
    expect(mcpPid).toBeTypeOf("number");
    s.kill();
    await s.exited;
    await waitFor(() => !isAlive(s.pid), { timeoutMs: 10_000, what: "the CLI process to be gone" });
    await waitFor(() => !isAlive(mcpPid as number), { timeoutMs: 10_000, what: "the MCP server to end with its CLI" });
  });
});
