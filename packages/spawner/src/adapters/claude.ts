import { ClustrError } from "@clustr/protocol";
import { claudeConfigPath, trustClaudeFolder } from "./claude-trust.js";
import { checkCommonInput, inheritedEnv, writeAgentFiles } from "./common.js";
import { agentInstructions } from "./instructions.js";
import { resolveExecutable } from "./resolve-executable.js";
import type { PastePieces } from "../paste-pieces.js";
import type { AdapterInput, LaunchSpec } from "./types.js";

/** How to install Claude Code, for `cli_not_found`. */
export const CLAUDE_INSTALL_HINT = "npm i -g @anthropic-ai/claude-code";

/**
 * Claude Code 2.1.330 gives the model a single paste of more than 800 characters or of 4 lines
 * or more wrapped in `<pasted_content>` tags, not as written (2.1.197 does not). Pastes this
 * small stay plain text in its input, and consecutive ones do not merge, so a task pasted in
 * such pieces reaches the model verbatim on both versions. Kept well under both limits.
 */
export const CLAUDE_PASTE_PIECES: PastePieces = { maxChars: 600, maxLines: 3 };

/** Claude Code's name for the clustr tools: allowing the server allows all of them. */
const CLUSTR_TOOLS_RULE = "mcp__clustr";

function permissionArgs(input: AdapterInput): string[] {
  switch (input.permissionMode) {
    case "bypass":
      return ["--dangerously-skip-permissions"];
    case "edits":
      return ["--permission-mode", "acceptEdits", "--allowedTools", CLUSTR_TOOLS_RULE];
    case "ask":
      // Named explicitly: 2.1.330 otherwise starts in auto mode, which approves actions itself.
      // The default mode asks for every edit and command; the clustr tools stay allowed: they
      // only talk to other agents, and asking for each message would stall every collaboration.
      return ["--permission-mode", "default", "--allowedTools", CLUSTR_TOOLS_RULE];
  }
}

/**
 * Build the launch of a Claude Code agent: its MCP config in `agents/<id>/`, its identity and
 * the rules in `--append-system-prompt`, the permission flags, `ENABLE_TOOL_SEARCH=false` so the
 * clustr tools reach the model directly, and folder trust pre-answered in the config file the
 * CLI reads (when that fails, a warning; the trust screen stays the fallback). The binary is
 * `CLUSTR_CLAUDE_BIN`, else `claude` on PATH. The task is not on the command line: it is pasted
 * in pieces ({@link CLAUDE_PASTE_PIECES}) once the tools are ready.
 */
export async function buildClaudeLaunch(input: AdapterInput): Promise<LaunchSpec> {
  const { realCwd } = checkCommonInput(input);
  const file = resolveExecutable(input.env.CLUSTR_CLAUDE_BIN || "claude", input.env, realCwd, CLAUDE_INSTALL_HINT);
  if (input.sessionId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.sessionId)) {
    throw new ClustrError("bad_request", `session id ${input.sessionId} is not a UUID`);
  }
  const files = writeAgentFiles(input);
  const warnings: string[] = [];
  try {
    await trustClaudeFolder(claudeConfigPath(input.env), realCwd);
  } catch (error) {
    warnings.push(`folder trust not pre-answered: ${(error as Error).message}`);
  }
  const env = inheritedEnv(input.env);
  env.ENABLE_TOOL_SEARCH = "false";
  // As root, Claude Code refuses --dangerously-skip-permissions outside a declared sandbox.
  if (input.permissionMode === "bypass" && process.getuid?.() === 0) env.IS_SANDBOX = "1";
  const instructions = agentInstructions({ ...input, cwd: realCwd, toolPrefix: "mcp__clustr__" });
  const args = [
    "--mcp-config",
    files.mcpConfig,
    "--append-system-prompt",
    instructions,
    ...(input.sessionId ? ["--session-id", input.sessionId] : []),
    ...permissionArgs(input),
  ];
  return { file, args, env, agentDir: files.dir, cleanupPaths: [files.dir], warnings, pastePieces: CLAUDE_PASTE_PIECES };
}
