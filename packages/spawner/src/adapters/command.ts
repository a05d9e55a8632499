import { BRIDGE_ENV, ClustrError, LIMITS } from "@clustr/protocol";
import { checkCommonInput, identityEnv, inheritedEnv, writeAgentFiles } from "./common.js";
import { resolveExecutable } from "./resolve-executable.js";
import type { AdapterInput, LaunchSpec } from "./types.js";

/**
 * Build the launch of a command agent: the program with its arguments as given (no shell), and
 * in its environment `CLUSTR_URL`, `CLUSTR_AGENT_ID`, `CLUSTR_AGENT_TOKEN_FILE` and
 * `CLUSTR_MCP_CONFIG` (an MCP config any MCP-capable program can use to start its bridge).
 */
export async function buildCommandLaunch(input: AdapterInput): Promise<LaunchSpec> {
  const { realCwd } = checkCommonInput(input);
  if (input.command === undefined || input.command === "") {
    throw new ClustrError("bad_request", "a command agent needs a command");
  }
  const args = input.args ?? [];
  if (args.length > LIMITS.commandArgsMax || args.some((arg) => arg.length > LIMITS.commandArgMaxChars || arg.includes("\0"))) {
    throw new ClustrError("bad_request", `at most ${LIMITS.commandArgsMax} arguments of at most ${LIMITS.commandArgMaxChars} characters, without NUL`);
  }
  const file = resolveExecutable(input.command, input.env, realCwd, "check the command's name, or give its path");
  const files = writeAgentFiles(input);
  const env = { ...inheritedEnv(input.env), ...identityEnv(input, files.tokenFile), [BRIDGE_ENV.mcpConfig]: files.mcpConfig };
  return { file, args: [...args], env, agentDir: files.dir, cleanupPaths: [files.dir], warnings: [] };
}
