// e2e: the real Codex CLI TUI in a real pty, on a fake OpenAI Responses API on loopback, with
// the user's CODEX_HOME holding only their provider and everything Clustr needs as -c overrides.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, waitFor } from "@clustr/test-utils";
import { cliBaseEnv, requireCli, startFakeOpenAi, DONE_TEXT, type FakeModelServer } from "../src/index.js";
import { describeRequests, longTask, makeE2eFolders, MCP_SERVER_SCRIPT, mcpEvents, waitForMcpEvent, type E2eFolders } from "./helpers/e2e-fixture.js";
import { startPty, type PtySession } from "./helpers/pty-session.js";

const DEVELOPER_NOTE = "You are agent e2e-agent in a Clustr workspace.";
const PROMPT = longTask("Tell the lead that the run works, then everyone.", [
  'CALL send_message {"to":"lead","body":"hello from e2e"}',
  'CALL send_message {"to":"*","body":"all done"}',
]);
/**
 * Idle and done starting: the input line, then the status line naming the model, then the footer.
 * Earlier frames show the input line too (first "loading", then the folder) before the trust
 * check has run, so the input line alone is not enough.
 */
const IDLE = /^› [^\n]*\n[\s\S]*fake-model [^\n]*\n[\s\S]*\? for shortcuts/m;

/** A TOML value from a JS string or string array (JSON's string escapes are valid TOML). */
const toml = (value: string | string[]): string => JSON.stringify(value);

function userConfig(model: FakeModelServer, trusted: string[]): string {
  return [
    'model = "fake-model"',
    'model_provider = "fake"',
    "[model_providers.fake]",
    'name = "Fake"',
    `base_url = ${toml(model.baseUrl)}`,
    'env_key = "FAKE_OPENAI_KEY"',
    'wire_api = "responses"',
    ...trusted.flatMap((dir) => [`[projects.${toml(dir)}]`, 'trust_level = "trusted"']),
    "",
  ].join("\n");
}

/** The -c overrides Clustr adds for one agent, leaving the user's CODEX_HOME as it is. */
function overrides(mcpLog: string, trustedCwd: string): string[] {
  return [
    `mcp_servers.clustr.command=${toml(process.execPath)}`,
    `mcp_servers.clustr.args=${toml([MCP_SERVER_SCRIPT, mcpLog])}`,
    'mcp_servers.clustr.default_tools_approval_mode="approve"',
    'approval_policy="on-request"',
    'sandbox_mode="workspace-write"',
    "features.daemon_auto_start=false",
    // Inline-table form: a dotted key would split the folder name at its dots.
    `projects={${toml(trustedCwd)}={trust_level="trusted"}}`,
    `developer_instructions=${toml(DEVELOPER_NOTE)}`,
  ].flatMap((o) => ["-c", o]);
}

describe("e2e codex-0.169.0", () => {
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
    const bin = await requireCli("codex-0.169.0");
    folders = await makeE2eFolders("clustr-e2e-codex-");
    model = await startFakeOpenAi();
    // A git repository: there Codex asks "Trust this folder?" unless the projects override holds.
    execFileSync("git", ["init", "-q"], { cwd: folders.cwd });
    const codexHome = join(folders.root.path, "codex-home");
    mkdirSync(codexHome);
    const configToml = userConfig(model, []);
    writeFileSync(join(codexHome, "config.toml"), configToml);
    const env = { ...cliBaseEnv(folders.home), CODEX_HOME: codexHome, FAKE_OPENAI_KEY: model.apiKey };
    session = startPty(bin, overrides(folders.mcpLog, folders.cwd), { cwd: folders.cwd, env });
    const s = session;
    const m = model;
    const f = folders;

    try {
      await waitForMcpEvent(f.mcpLog, (e) => e.event === "tools/list", "the CLI listing the clustr tools");
      await s.waitForScreen(IDLE);
      await s.pasteAndSubmit(PROMPT, () => m.turns().length > 0);

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
      await s.waitForScreen(/DONE/);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- model requests ---\n${describeRequests(m)}\n--- screen ---\n${s.screen()}`, { cause: error });
    }

    if (process.env["CLUSTR_E2E_DEBUG"]) console.log(describeRequests(m));
    const first = m.turns()[0];
    expect(first?.headers.authorization).toBe(`Bearer ${m.apiKey}`);
    expect(first?.view?.userTexts[0]).toBe(PROMPT);
    // developer_instructions arrives as a developer message of the input, not in `instructions`.
    const input = (first?.body as { input?: { role?: string; content?: unknown }[] } | undefined)?.input ?? [];
    expect(input.some((item) => item.role === "developer" && JSON.stringify(item.content).includes(DEVELOPER_NOTE))).toBe(true);
    expect(first?.view?.system).toContain(DEVELOPER_NOTE);
    expect(first?.view?.tools).toContainEqual({ name: "mcp__clustr__send_message", callName: "send_message", namespace: "mcp__clustr" });
    // The overrides live on the command line only: none reaches the user's file. (The TUI itself
    // appends its own [tui] state to it; what the user wrote stays as it was.)
    const after = readFileSync(join(codexHome, "config.toml"), "utf8");
    expect(after.startsWith(configToml)).toBe(true);
    expect(after).not.toMatch(/clustr|projects|developer_instructions|approval_policy|daemon_auto_start/);

    const mcpPid = mcpEvents(f.mcpLog).find((e) => e.event === "start")?.pid;
    expect(mcpPid).toBeTypeOf("number");
    s.kill();
    await s.exited;
    await waitFor(() => !isAlive(s.pid), { timeoutMs: 10_000, what: "the CLI process to be gone" });
    await waitFor(() => !isAlive(mcpPid as number), { timeoutMs: 10_000, what: "the MCP server to end with its CLI" });
  });

  // A user's own trusted folders must stay trusted when Clustr adds its agent's folder with
  // `-c projects={...}`: the override merges into the user's table rather than replacing it.
  // In a git repository an untrusted folder opens on "Trust this folder?", so the screen tells.
  it.each([
    { userTrustsCwd: true, expected: /› Ask Codex to do anything/ },
    { userTrustsCwd: false, expected: /Trust this folder\?/ },
  ])("-c projects={other} merges with the user's projects table (user trusts cwd: $userTrustsCwd)", async ({ userTrustsCwd, expected }) => {
    const bin = await requireCli("codex-0.169.0");
    folders = await makeE2eFolders("clustr-e2e-codex-trust-");
    model = await startFakeOpenAi();
    execFileSync("git", ["init", "-q"], { cwd: folders.cwd });
    const other = join(folders.root.path, "other.folder");
    mkdirSync(other);
    const codexHome = join(folders.root.path, "codex-home");
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, "config.toml"), userConfig(model, userTrustsCwd ? [folders.cwd] : []));
    const env = { ...cliBaseEnv(folders.home), CODEX_HOME: codexHome, FAKE_OPENAI_KEY: model.apiKey };
    session = startPty(bin, ["-c", "features.daemon_auto_start=false", "-c", `projects={${toml(other)}={trust_level="trusted"}}`], {
      cwd: folders.cwd,
      env,
    });
    const screen = await session.waitForScreen((text) => IDLE.test(text) || /Trust this folder\?/.test(text));
    expect(screen).toMatch(expected);
  });
});
