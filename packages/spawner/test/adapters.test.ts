import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { parse as parseToml } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isClustrError } from "@clustr/protocol";
import {
  CLAUDE_INSTALL_HINT,
  CLAUDE_PASTE_PIECES,
  CODEX_INSTALL_HINT,
  agentInstructions,
  buildLaunch,
  cleanupAgentDir,
  sweepAgentDirs,
  type AdapterInput,
  type LaunchSpec,
} from "../src/index.js";

const TOKEN = "tok_0123456789abcdef0123456789abcdef";
const RULES = 'Say "hi" to C:\\temp\\new — naïve café ✓ 🚀\n\tindented line\nend with \'\'\' and """ and \u0001 bell';

let tmp: TempDir;
let bin: string;
let cwd: string;
let home: string;
let agentsDir: string;

function makeProgram(name: string): string {
  const path = join(bin, name);
  writeFileSync(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  return path;
}

function input(overrides: Partial<AdapterInput> = {}): AdapterInput {
  return {
    agentId: "ag_1",
    name: "lead",
    task: "SECRET-TASK-TEXT do the thing",
    cwd,
    permissionMode: "edits",
    rulesText: RULES,
    layout: { agents: agentsDir },
    serverUrl: "http://127.0.0.1:4123",
    token: TOKEN,
    bridge: { node: process.execPath, script: "/opt/clustr/bridge/bin/clustr-bridge.js" },
    env: { PATH: bin, HOME: home, CLUSTR_AGENT_TOKEN: "parent-token", CLUSTR_AGENT_ID: "parent", KEEP_ME: "1" },
    ...overrides,
  };
}

const mode = (path: string): number => statSync(path).mode & 0o777;

async function expectClustrError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isClustrError(error), `expected a ClustrError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

function expectSecretsOffArgv(spec: LaunchSpec): void {
  for (const arg of spec.args) {
    expect(arg).not.toContain(TOKEN);
    expect(arg).not.toContain("SECRET-TASK-TEXT");
  }
}

beforeEach(async () => {
  tmp = await makeTempDir("clustr-adapters-");
  bin = join(tmp.path, "bin");
  cwd = join(tmp.path, "work", "my.app");
  home = join(tmp.path, "home");
  agentsDir = join(tmp.path, "data", "agents");
  for (const dir of [bin, cwd, home]) mkdirSync(dir, { recursive: true });
  makeProgram("claude");
  makeProgram("codex");
});

afterEach(async () => {
  await tmp.cleanup();
});

describe("claude adapter", () => {
  it("writes the MCP config and token privately and builds the exact command line", async () => {
    const spec = await buildLaunch("claude", input());
    const dir = join(agentsDir, "ag_1");
    const mcpConfig = join(dir, "mcp.json");
    const tokenFile = join(dir, "token");
    expect(spec.file).toBe(join(bin, "claude"));
    expect(spec.args).toEqual([
      "--mcp-config",
      mcpConfig,
      "--append-system-prompt",
      agentInstructions({ agentId: "ag_1", name: "lead", cwd, rulesText: RULES, toolPrefix: "mcp__clustr__" }),
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "mcp__clustr",
    ]);
    expect(spec.agentDir).toBe(dir);
    expect(spec.cleanupPaths).toEqual([dir]);
    expect(spec.warnings).toEqual([]);
    // Claude Code wraps a long single paste before the model sees it: the task goes in pieces.
    expect(spec.pastePieces).toEqual(CLAUDE_PASTE_PIECES);
    expect(CLAUDE_PASTE_PIECES.maxChars).toBeLessThanOrEqual(800);
    expect(CLAUDE_PASTE_PIECES.maxLines).toBeLessThan(4);
    expect(mode(dir)).toBe(0o700);
    expect(mode(mcpConfig)).toBe(0o600);
    expect(mode(tokenFile)).toBe(0o600);
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(TOKEN);
    expect(JSON.parse(readFileSync(mcpConfig, "utf8"))).toEqual({
      mcpServers: {
        clustr: {
          command: process.execPath,
          args: ["/opt/clustr/bridge/bin/clustr-bridge.js"],
          env: { CLUSTR_URL: "http://127.0.0.1:4123", CLUSTR_AGENT_ID: "ag_1", CLUSTR_AGENT_TOKEN_FILE: tokenFile },
        },
      },
    });
    expect(readFileSync(mcpConfig, "utf8")).not.toContain(TOKEN);
    expectSecretsOffArgv(spec);
    expect(spec.env.ENABLE_TOOL_SEARCH).toBe("false");
    expect(spec.env.KEEP_ME).toBe("1");
    expect(spec.env.CLUSTR_AGENT_TOKEN).toBeUndefined();
    expect(spec.env.CLUSTR_AGENT_ID).toBeUndefined();
    expect(spec.env.IS_SANDBOX).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(["mcp.json", "token"]);
  });

  it("carries identity and rules in the system prompt", async () => {
    const spec = await buildLaunch("claude", input());
    const prompt = spec.args[spec.args.indexOf("--append-system-prompt") + 1] ?? "";
    expect(prompt).toContain("You are agent lead (id ag_1) in a Clustr workspace");
    expect(prompt).toContain("mcp__clustr__send_message");
    expect(prompt).toContain(cwd);
    expect(prompt.endsWith(RULES)).toBe(true);
  });

  it("pre-answers folder trust in ~/.claude.json, or in $CLAUDE_CONFIG_DIR/.claude.json", async () => {
    writeFileSync(join(home, ".claude.json"), JSON.stringify({ numStartups: 3, projects: { "/other": { allowedTools: ["x"] } } }));
    await buildLaunch("claude", input());
    expect(JSON.parse(readFileSync(join(home, ".claude.json"), "utf8"))).toEqual({
      numStartups: 3,
      projects: { "/other": { allowedTools: ["x"] }, [cwd]: { hasTrustDialogAccepted: true } },
    });
    const configDir = join(tmp.path, "claude-config");
    await buildLaunch("claude", input({ agentId: "ag_2", env: { PATH: bin, HOME: home, CLAUDE_CONFIG_DIR: configDir } }));
    expect(JSON.parse(readFileSync(join(configDir, ".claude.json"), "utf8"))).toEqual({ projects: { [cwd]: { hasTrustDialogAccepted: true } } });
  });

  it("keys folder trust by the folder's real path", async () => {
    const link = join(tmp.path, "link-to-app");
    spawnSync("ln", ["-s", cwd, link]);
    await buildLaunch("claude", input({ cwd: link }));
    const projects = (JSON.parse(readFileSync(join(home, ".claude.json"), "utf8")) as { projects: Record<string, unknown> }).projects;
    expect(Object.keys(projects)).toEqual([cwd]);
  });

  it("warns and goes on when the config file cannot be used", async () => {
    writeFileSync(join(home, ".claude.json"), "{not json");
    const spec = await buildLaunch("claude", input());
    expect(spec.warnings).toHaveLength(1);
    expect(spec.warnings[0]).toMatch(/folder trust not pre-answered/);
    expect(readFileSync(join(home, ".claude.json"), "utf8")).toBe("{not json");
  });

  it("maps each permission mode", async () => {
    const ask = await buildLaunch("claude", input({ permissionMode: "ask" }));
    expect(ask.args.slice(4)).toEqual(["--permission-mode", "default", "--allowedTools", "mcp__clustr"]);
    const bypass = await buildLaunch("claude", input({ agentId: "ag_b", permissionMode: "bypass" }));
    expect(bypass.args.slice(4)).toEqual(["--dangerously-skip-permissions"]);
    expect(bypass.env.IS_SANDBOX).toBe(process.getuid?.() === 0 ? "1" : undefined);
  });

  it("passes a session id for later resumption", async () => {
    const sessionId = "123e4567-e89b-42d3-a456-426614174000";
    const spec = await buildLaunch("claude", input({ sessionId }));
    expect(spec.args.slice(4, 6)).toEqual(["--session-id", sessionId]);
    await expectClustrError(buildLaunch("claude", input({ agentId: "ag_x", sessionId: "--evil" })), "bad_request");
    expect(existsSync(join(agentsDir, "ag_x"))).toBe(false);
  });

  it("uses CLUSTR_CLAUDE_BIN, and says how to install Claude Code when it is missing", async () => {
    const other = join(tmp.path, "claude-2.1.330");
    writeFileSync(other, "#!/bin/sh\n", { mode: 0o755 });
    const spec = await buildLaunch("claude", input({ env: { PATH: bin, HOME: home, CLUSTR_CLAUDE_BIN: other } }));
    expect(spec.file).toBe(other);
    const error = await buildLaunch("claude", input({ agentId: "ag_3", env: { PATH: join(tmp.path, "empty"), HOME: home } })).catch((e: unknown) => e);
    expect(isClustrError(error) && error.code).toBe("cli_not_found");
    expect((error as { hint?: string }).hint).toBe(CLAUDE_INSTALL_HINT);
    expect(existsSync(join(agentsDir, "ag_3"))).toBe(false);
  });
});

describe("codex adapter", () => {
  function overrides(spec: LaunchSpec): Record<string, unknown> {
    const pairs: string[] = [];
    for (let i = 0; i < spec.args.length; i += 2) {
      expect(spec.args[i]).toBe("-c");
      pairs.push(spec.args[i + 1] ?? "");
    }
    // Each `-c key=value` is a TOML dotted key and value: together they form one document.
    return parseToml(pairs.map((pair) => pair.replace("=", " = ")).join("\n")) as Record<string, unknown>;
  }

  it("builds -c overrides that parse back to the intended config", async () => {
    const spec = await buildLaunch("codex", input());
    const dir = join(agentsDir, "ag_1");
    expect(spec.file).toBe(join(bin, "codex"));
    expect(overrides(spec)).toEqual({
      mcp_servers: {
        clustr: {
          command: process.execPath,
          args: ["/opt/clustr/bridge/bin/clustr-bridge.js"],
          env: { CLUSTR_URL: "http://127.0.0.1:4123", CLUSTR_AGENT_ID: "ag_1", CLUSTR_AGENT_TOKEN_FILE: join(dir, "token") },
          default_tools_approval_mode: "approve",
        },
      },
      projects: { [cwd]: { trust_level: "trusted" } },
      features: { daemon_auto_start: false },
      approval_policy: "on-request",
      sandbox_mode: "workspace-write",
      developer_instructions: agentInstructions({ agentId: "ag_1", name: "lead", cwd, rulesText: RULES, toolPrefix: "" }),
    });
    expect(spec.args.filter((arg) => arg.startsWith("projects="))).toEqual([`projects={"${cwd}" = {trust_level = "trusted"}}`]);
    expectSecretsOffArgv(spec);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "token"))).toBe(0o600);
    expect(spec.env.CLUSTR_AGENT_TOKEN).toBeUndefined();
    expect(spec.env.CODEX_HOME).toBeUndefined();
    // Codex keeps a long paste as written, and one paste is what its Enter handling expects.
    expect(spec.pastePieces).toBeUndefined();
  });

  it("keeps the user's CODEX_HOME", async () => {
    const spec = await buildLaunch("codex", input({ env: { PATH: bin, HOME: home, CODEX_HOME: "/home/me/.codex" } }));
    expect(spec.env.CODEX_HOME).toBe("/home/me/.codex");
  });

  it("maps each permission mode", async () => {
    const ask = overrides(await buildLaunch("codex", input({ permissionMode: "ask" })));
    expect([ask.approval_policy, ask.sandbox_mode]).toEqual(["on-request", "read-only"]);
    const bypass = overrides(await buildLaunch("codex", input({ permissionMode: "bypass" })));
    expect([bypass.approval_policy, bypass.sandbox_mode]).toEqual(["never", "workspace-write"]);
  });

  it("quotes every kind of text in the rules", async () => {
    const rules = ["\"quoted\"", "back\\slash", "new\nline", "tab\there", "cr\rret", "nul\u0000", "del\u007f", "ünï ✓ 🚀", "= [x] {y}", "'''"].join(" | ");
    const spec = await buildLaunch("codex", input({ rulesText: rules }));
    const parsed = overrides(spec);
    expect(String(parsed.developer_instructions).endsWith(rules)).toBe(true);
  });

  it("uses CLUSTR_CODEX_BIN, and says how to install Codex when it is missing", async () => {
    const other = join(tmp.path, "codex-0.169");
    writeFileSync(other, "#!/bin/sh\n", { mode: 0o755 });
    expect((await buildLaunch("codex", input({ env: { PATH: bin, CLUSTR_CODEX_BIN: other } }))).file).toBe(other);
    const error = await buildLaunch("codex", input({ agentId: "ag_4", env: { PATH: join(tmp.path, "none") } })).catch((e: unknown) => e);
    expect(isClustrError(error) && error.code).toBe("cli_not_found");
    expect((error as { hint?: string }).hint).toBe(CODEX_INSTALL_HINT);
    expect(existsSync(join(agentsDir, "ag_4"))).toBe(false);
  });
});

describe("command adapter", () => {
  it("gives the program its bridge through the environment", async () => {
    const spec = await buildLaunch("command", input({ command: "node-prog", args: ["a b"] })).catch((e: unknown) => e);
    // node-prog is not on PATH: a clear error, nothing written.
    expect(isClustrError(spec) && spec.code).toBe("cli_not_found");
    expect(existsSync(join(agentsDir, "ag_1"))).toBe(false);

    const script = [
      "const fs = require('node:fs');",
      "const config = JSON.parse(fs.readFileSync(process.env.CLUSTR_MCP_CONFIG, 'utf8'));",
      "const token = fs.readFileSync(process.env.CLUSTR_AGENT_TOKEN_FILE, 'utf8').trim();",
      "process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), url: process.env.CLUSTR_URL, id: process.env.CLUSTR_AGENT_ID, config, token, inherited: process.env.CLUSTR_AGENT_TOKEN ?? null }));",
    ].join("\n");
    const launch = await buildLaunch("command", input({ command: process.execPath, args: ["-e", script, "--", "a b", "--x=1"] }));
    expect(launch.file).toBe(process.execPath);
    expect(launch.args).toEqual(["-e", script, "--", "a b", "--x=1"]);
    expectSecretsOffArgv(launch);
    // Run it for real: the program finds its identity, token and MCP config from its environment.
    const run = spawnSync(launch.file, launch.args, { env: launch.env, cwd, encoding: "utf8" });
    expect(run.status).toBe(0);
    const seen = JSON.parse(run.stdout) as Record<string, unknown>;
    const tokenFile = join(agentsDir, "ag_1", "token");
    expect(seen).toEqual({
      argv: ["a b", "--x=1"],
      url: "http://127.0.0.1:4123",
      id: "ag_1",
      token: TOKEN,
      inherited: null,
      config: {
        mcpServers: {
          clustr: {
            command: process.execPath,
            args: ["/opt/clustr/bridge/bin/clustr-bridge.js"],
            env: { CLUSTR_URL: "http://127.0.0.1:4123", CLUSTR_AGENT_ID: "ag_1", CLUSTR_AGENT_TOKEN_FILE: tokenFile },
          },
        },
      },
    });
    expect(launch.env.CLUSTR_MCP_CONFIG).toBe(join(agentsDir, "ag_1", "mcp.json"));
  });

  it("uses a token file it is given without writing it", async () => {
    const tokenFile = join(tmp.path, "given-token");
    writeFileSync(tokenFile, "abc\n", { mode: 0o600 });
    const launch = await buildLaunch("command", input({ command: "codex", token: undefined, tokenFilePath: tokenFile }));
    expect(launch.env.CLUSTR_AGENT_TOKEN_FILE).toBe(tokenFile);
    expect(readdirSync(join(agentsDir, "ag_1"))).toEqual(["mcp.json"]);
  });

  it("refuses a missing command, a non-executable file and too many arguments", async () => {
    await expectClustrError(buildLaunch("command", input()), "bad_request");
    const plain = join(bin, "plain.txt");
    writeFileSync(plain, "x");
    chmodSync(plain, 0o644);
    await expectClustrError(buildLaunch("command", input({ command: plain })), "not_executable");
    await expectClustrError(buildLaunch("command", input({ command: "codex", args: Array.from({ length: 300 }, () => "x") })), "bad_request");
    expect(existsSync(agentsDir)).toBe(false);
  });
});

describe("input checks shared by every kind", () => {
  it("refuses bad input before writing anything", async () => {
    await expectClustrError(buildLaunch("claude", input({ cwd: join(tmp.path, "missing") })), "cwd_not_found");
    await expectClustrError(buildLaunch("codex", input({ cwd: "relative/path" })), "bad_request");
    await expectClustrError(buildLaunch("claude", input({ agentId: "../escape" })), "bad_request");
    await expectClustrError(buildLaunch("codex", input({ rulesText: "x".repeat(64 * 1024 + 1) })), "payload_too_large");
    await expectClustrError(buildLaunch("claude", input({ serverUrl: "http://127.0.0.1:4123/api" })), "bad_request");
    await expectClustrError(buildLaunch("claude", input({ bridge: { node: "node", script: "clustr-bridge" } })), "bad_request");
    await expectClustrError(buildLaunch("claude", input({ token: undefined })), "bad_request");
    await expectClustrError(buildLaunch("claude", input({ token: "has space" })), "bad_request");
    expect(existsSync(agentsDir)).toBe(false);
    expect(existsSync(join(home, ".claude.json"))).toBe(false);
  });
});

describe("agent folders", () => {
  it("removes one agent's folder, and sweeps those of agents no longer running", async () => {
    for (const id of ["ag_1", "ag_2", "ag_3"]) await buildLaunch("command", input({ agentId: id, command: "codex" }));
    writeFileSync(join(agentsDir, "README"), "not an agent folder");
    mkdirSync(join(agentsDir, ".hidden"));
    cleanupAgentDir({ agents: agentsDir }, "ag_1");
    expect(existsSync(join(agentsDir, "ag_1"))).toBe(false);
    cleanupAgentDir({ agents: agentsDir }, "ag_1");
    expect(sweepAgentDirs({ agents: agentsDir }, ["ag_2"])).toEqual(["ag_3"]);
    expect(readdirSync(agentsDir).sort()).toEqual([".hidden", "README", "ag_2"]);
    expect(sweepAgentDirs({ agents: join(tmp.path, "nowhere") }, [])).toEqual([]);
    expect(() => cleanupAgentDir({ agents: agentsDir }, "..")).toThrow(/agent id/);
  });
});
