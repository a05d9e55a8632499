// What every end-to-end test of a real CLI needs: temp folders, the `clustr` MCP test server
// and its event log.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir, waitFor, type TempDir } from "@clustr/test-utils";
import type { FakeModelServer } from "../../src/index.js";

export const MCP_SERVER_SCRIPT = fileURLToPath(new URL("../fixtures/clustr-mcp.mjs", import.meta.url));

export interface McpEvent {
  event: "start" | "tools/list" | "call" | "exit";
  pid?: number;
  name?: string;
  arguments?: Record<string, unknown>;
  at: number;
}

export interface E2eFolders {
  root: TempDir;
  /** The project folder the CLI runs in (its name has a dot, like many real ones). */
  cwd: string;
  /** HOME for the CLI, so nothing of the real user's configuration is read or written. */
  home: string;
  /** The MCP test server's event log. */
  mcpLog: string;
  cleanup(): Promise<void>;
}

export async function makeE2eFolders(prefix: string): Promise<E2eFolders> {
  const root = await makeTempDir(prefix);
  const cwd = join(root.path, "my.project");
  const home = join(root.path, "home");
  mkdirSync(cwd);
  mkdirSync(home);
  writeFileSync(join(cwd, "README.md"), "# a project\n");
  return { root, cwd, home, mcpLog: join(root.path, "mcp-events.jsonl"), cleanup: () => root.cleanup() };
}

export function mcpEvents(log: string): McpEvent[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as McpEvent);
}

export function waitForMcpEvent(log: string, match: (e: McpEvent) => boolean, what: string, timeoutMs = 90_000): Promise<McpEvent> {
  return waitFor(() => mcpEvents(log).find(match), { timeoutMs, intervalMs: 100, what });
}

/** The environment a CLI starts with: only what it needs, nothing of the caller's secrets. */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    TMPDIR: process.env["TMPDIR"] ?? "/tmp",
  };
}

/** A readable dump of what the fake model received, for failure messages. */
export function describeRequests(model: FakeModelServer): string {
  return model.requests
    .map((r) => {
      const v = r.view;
      const detail = v
        ? ` tools=${v.tools.length} users=${JSON.stringify(v.userTexts).slice(0, 300)} calls=${v.callsSinceUserText.join(",")} results=${v.toolResults.length} -> ${JSON.stringify(r.action).slice(0, 200)}`
        : "";
      return `${r.method} ${r.path}?${r.query} ${r.status} ${r.kind}${detail}`;
    })
    .join("\n");
}
