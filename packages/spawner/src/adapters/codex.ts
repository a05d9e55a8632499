import { ClustrError } from "@clustr/protocol";
import { checkCommonInput, inheritedEnv, writeAgentFiles } from "./common.js";
import { agentInstructions } from "./instructions.js";
import { resolveExecutable } from "./resolve-executable.js";
import { tomlArray, tomlInlineTable, tomlString } from "./toml.js";
import type { AdapterInput, LaunchSpec } from "./types.js";

/** How to install the Codex CLI, for `cli_not_found`. */
export const CODEX_INSTALL_HINT = "npm i -g @openai/codex";

/** Linux refuses a single argument longer than this (MAX_ARG_STRLEN, 128 KiB); keep a margin. */
const MAX_ARG_BYTES = 120 * 1024;

function permissionOverrides(input: AdapterInput): Array<[string, string]> {
  switch (input.permissionMode) {
    case "bypass":
      return [
        ["approval_policy", tomlString("never")],
        ["sandbox_mode", tomlString("workspace-write")],
      ];
    case "edits":
      return [
        ["approval_policy", tomlString("on-request")],
        ["sandbox_mode", tomlString("workspace-write")],
      ];
    case "ask":
      // Codex 0.169 refuses `untrusted` ("no longer supported"): a read-only sandbox with
      // on-request approval makes every write and every command beyond reading ask first.
      return [
        ["approval_policy", tomlString("on-request")],
        ["sandbox_mode", tomlString("read-only")],
      ];
  }
}

/**
 * Build the launch of a Codex agent: the interactive TUI with the user's CODEX_HOME kept and
 * `-c` overrides for the clustr MCP server (bridge by absolute path, its three identity
 * variables, tools approved), folder trust as an inline `projects` table (safe for folder
 * names with dots), `features.daemon_auto_start=false` (no background app-server outliving the
 * agent), approval and sandbox per permission mode, and the identity and rules as
 * `developer_instructions`. The binary is `CLUSTR_CODEX_BIN`, else `codex` on PATH.
 */
export async function buildCodexLaunch(input: AdapterInput): Promise<LaunchSpec> {
  const { realCwd } = checkCommonInput(input);
  const file = resolveExecutable(input.env.CLUSTR_CODEX_BIN || "codex", input.env, realCwd, CODEX_INSTALL_HINT);
  const instructions = agentInstructions({ ...input, cwd: realCwd, toolPrefix: "" });
  const developerInstructions = tomlString(instructions);
  if (Buffer.byteLength(developerInstructions) > MAX_ARG_BYTES) {
    throw new ClustrError("payload_too_large", "the rules, quoted for Codex's command line, are longer than one argument may be");
  }
  const files = writeAgentFiles(input);
  const entry = files.entry;
  const overrides: Array<[string, string]> = [
    ["mcp_servers.clustr.command", tomlString(entry.command)],
    ["mcp_servers.clustr.args", tomlArray(entry.args.map(tomlString))],
    ["mcp_servers.clustr.env", tomlInlineTable(Object.entries(entry.env).map(([key, value]) => [key, tomlString(value)] as const))],
    ["mcp_servers.clustr.default_tools_approval_mode", tomlString("approve")],
    ["projects", tomlInlineTable([[realCwd, tomlInlineTable([["trust_level", tomlString("trusted")]])]])],
    ["features.daemon_auto_start", "false"],
    ...permissionOverrides(input),
    ["developer_instructions", developerInstructions],
  ];
  const args = overrides.flatMap(([key, value]) => ["-c", `${key}=${value}`]);
  return { file, args, env: inheritedEnv(input.env), agentDir: files.dir, cleanupPaths: [files.dir], warnings: [] };
}
