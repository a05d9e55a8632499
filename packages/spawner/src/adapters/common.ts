import { realpathSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { BRIDGE_ENV, ClustrError, LIMITS, utf8Length } from "@clustr/protocol";
import { checkAgentId, prepareAgentDir, writePrivateFile, cleanupAgentDir } from "./agent-dir.js";
import type { AdapterInput, McpServerEntry } from "./types.js";

/** File names inside `agents/<id>/`. */
export const AGENT_FILES = { token: "token", mcpConfig: "mcp.json" } as const;

/**
 * Check what can be checked before anything is written: a bad input fails with a clear
 * error and leaves no file behind. Returns the agent's folder as the kernel names it (the CLIs
 * key folder trust by that real path).
 */
export function checkCommonInput(input: AdapterInput): { realCwd: string } {
  checkAgentId(input.agentId);
  if (!isAbsolute(input.cwd)) throw new ClustrError("bad_request", `cwd ${input.cwd} is not an absolute path`);
  let realCwd: string;
  try {
    realCwd = realpathSync(input.cwd);
    if (!statSync(realCwd).isDirectory()) throw new Error("not a directory");
  } catch {
    throw new ClustrError("cwd_not_found", `${input.cwd} is not an existing folder`, { data: { cwd: input.cwd } });
  }
  if (utf8Length(input.rulesText) > LIMITS.rulesMaxBytes) {
    throw new ClustrError("payload_too_large", `the rules file is larger than ${LIMITS.rulesMaxBytes} bytes: it travels on the CLI's command line`);
  }
  if (!/^https?:\/\/[^/\s]+$/.test(input.serverUrl)) {
    throw new ClustrError("bad_request", `server URL ${input.serverUrl} is not an origin like http://127.0.0.1:4000`);
  }
  if (!isAbsolute(input.bridge.node) || !isAbsolute(input.bridge.script)) {
    throw new ClustrError("bad_request", "the bridge is started by absolute paths (node and its script), never looked up on PATH");
  }
  if (input.token === undefined && input.tokenFilePath === undefined) {
    throw new ClustrError("bad_request", "an agent needs its token or the path of its token file");
  }
  if (input.token !== undefined && !/^[\x21-\x7e]+$/.test(input.token)) {
    throw new ClustrError("bad_request", "the agent token must be printable ASCII without spaces");
  }
  return { realCwd };
}

/** The server's environment without another agent's identity (a nested server must not leak it). */
export function inheritedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const identity = new Set<string>(Object.values(BRIDGE_ENV));
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !identity.has(key)) out[key] = value;
  }
  return out;
}

/** The three non-secret variables that tell a bridge who it is and where its token lies. */
export function identityEnv(input: AdapterInput, tokenFile: string): Record<string, string> {
  return { [BRIDGE_ENV.url]: input.serverUrl, [BRIDGE_ENV.agentId]: input.agentId, [BRIDGE_ENV.tokenFile]: tokenFile };
}

/** The MCP server entry starting the bridge by absolute path. */
export function bridgeEntry(input: AdapterInput, tokenFile: string): McpServerEntry {
  return { command: input.bridge.node, args: [input.bridge.script], env: identityEnv(input, tokenFile) };
}

/** Files every agent gets in `agents/<id>/`: its token (when given) and an MCP config. */
export interface AgentFiles {
  dir: string;
  tokenFile: string;
  mcpConfig: string;
  entry: McpServerEntry;
}

/**
 * Create `agents/<id>/` (0700) with the token file and `mcp.json`
 * (`{"mcpServers": {"clustr": {command, args, env}}}`), both 0600. On failure the folder is
 * removed again.
 */
export function writeAgentFiles(input: AdapterInput): AgentFiles {
  const dir = prepareAgentDir(input.layout, input.agentId);
  try {
    const tokenFile = input.tokenFilePath ?? join(dir, AGENT_FILES.token);
    if (input.token !== undefined) writePrivateFile(tokenFile, `${input.token}\n`);
    const entry = bridgeEntry(input, tokenFile);
    const mcpConfig = join(dir, AGENT_FILES.mcpConfig);
    writePrivateFile(mcpConfig, `${JSON.stringify({ mcpServers: { clustr: entry } }, null, 2)}\n`);
    return { dir, tokenFile, mcpConfig, entry };
  } catch (error) {
    cleanupAgentDir(input.layout, input.agentId);
    throw error;
  }
}
