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

/**
 * A task as a user might write one: many lines, about 1200 characters or more, text from several
 * scripts, with the scripted model's `CALL` lines at the end. Claude Code 2.1.330 would wrap
 * such a task in `<pasted_content>` tags if it arrived as one paste, so a test asserting that
 * the first user turn equals it proves it reached the model as written.
 */
export function longTask(intro: string, calls: string[]): string {
  const notes = [
    "Context: the project „my.project“ is small — read README.md first; naïve café résumé, 日本語のテスト, Ωmega ✓ 🚀.",
    "Constraints: keep every change small, explain why each one is needed, and never touch files outside the folder.",
    "Steps: 1) look around and list what is there; 2) note anything odd (quotes «like this», ‘these’ and “these”);",
    "3) summarise what you found in three short sentences; 4) tell the others, as the lines below say, then stop.",
    "Background: this paragraph is here to make the task long, as real tasks are. A lead agent often writes a",
    "detailed brief for its helpers: goals, limits, the files that matter, how to report back and when to stop.",
    "None of it changes what the model is asked to do here; the scripted model acts on the CALL lines only.",
    "Reporting: say what you did, what you did not do and why, and what the next person should look at first.",
    "Style: short sentences, plain words, no tables; quote file names as `like/this.ts`; dates as 2026-11-24.",
    "Limits: at most 20 agents, depth 3; ask before anything that cannot be undone — deletes, pushes, resets.",
    "Done means: the notes above are followed, the lines below have run, and nothing else was changed on disk.",
  ];
  return [intro, ...notes, "", ...calls].join("\n");
}
