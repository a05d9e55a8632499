import type { PermissionMode } from "@clustr/protocol";
import type { DataDirLayout } from "@clustr/store";
import type { PastePieces } from "../paste-pieces.js";

/** How the bridge is started: this Node and the bridge's script, both absolute paths. */
export interface BridgeLauncher {
  node: string;
  script: string;
}

/** Everything an adapter needs to launch one agent. */
export interface AdapterInput {
  agentId: string;
  name: string;
  /** The task; never put on the command line (it is injected once the tools are ready). */
  task: string;
  /** The agent's folder (absolute). */
  cwd: string;
  permissionMode: PermissionMode;
  /** The shared rules file's content, given to the CLI as system/developer instructions. */
  rulesText: string;
  /** The data folder (only `agents` is used). */
  layout: Pick<DataDirLayout, "agents">;
  /** The server's origin, e.g. `http://127.0.0.1:4000`. */
  serverUrl: string;
  /** The agent's token; written to `tokenFilePath` (default `agents/<id>/token`), mode 0600. */
  token?: string;
  /** Path of a 0600 file holding the token; without `token` the file must exist already. */
  tokenFilePath?: string;
  bridge: BridgeLauncher;
  /** The server's environment, inherited by the agent. */
  env: NodeJS.ProcessEnv;
  /** The program of a `command` agent (a name on PATH or a path), and its arguments. */
  command?: string;
  args?: string[];
  /** A UUID for Claude's `--session-id`, so the session can be resumed later. */
  sessionId?: string;
}

/** What to spawn in the pty, and what to remove once the agent has ended. */
export interface LaunchSpec {
  /** Absolute path of the program. */
  file: string;
  args: string[];
  env: Record<string, string>;
  /** The per-agent folder (`agents/<id>/`) holding its config files. */
  agentDir: string;
  cleanupPaths: string[];
  /** Things that did not work but have a fallback (e.g. folder trust left to the screen). */
  warnings: string[];
  /**
   * How text is pasted into this CLI when it must not go as one paste (inject's `pieces`):
   * absent means one bracketed paste.
   */
  pastePieces?: PastePieces;
}

/** The MCP server entry that starts an agent's bridge: `{command, args, env}`. */
export interface McpServerEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}
