import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, readFakeTuiLog, waitFor, writeFakeCli, type TempDir } from "@clustr/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspace, type Workspace } from "../src/index.js";

// A task long enough that Claude Code 2.1.330 would wrap it if it arrived as one paste:
// many lines, well over 800 characters, and text from several scripts.
const TASK = Array.from(
  { length: 24 },
  (_, i) => `Schritt ${i + 1}: prüfe „my.project“ — naïve café résumé 日本語 ✓ 🚀 ${"and say why ".repeat(i % 7)}`,
).join("\n");

let data: TempDir;
let project: TempDir;
let workspace: Workspace | undefined;

beforeEach(async () => {
  data = await makeTempDir("clustr-data-");
  project = await makeTempDir("clustr-project-");
});

afterEach(async () => {
  await workspace?.close();
  workspace = undefined;
  await data.cleanup();
  await project.cleanup();
});

describe("a Claude agent's task", () => {
  it("reaches the CLI as written, and only once its tools are ready", { timeout: 60_000 }, async () => {
    expect(TASK.length).toBeGreaterThan(1200);
    const log = join(data.path, "claude.log");
    const claude = writeFakeCli(join(data.path, "claude"), "claude", { log, version: "2.1.330", busyMs: 500 });
    // Stands in for the bridge: an MCP server that never answers, so readiness comes only from
    // the report below, as it would from the server.
    const bridge = join(data.path, "silent-bridge.mjs");
    writeFileSync(bridge, "process.stdin.resume();\n");
    const ws = await createWorkspace({
      dataDir: data.path,
      startTimeoutMs: 30_000,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: data.path, CLUSTR_CLAUDE_BIN: claude },
      bridge: { node: process.execPath, script: bridge },
    });
    workspace = ws;
    const agent = ws.spawn({ name: "lead", kind: "claude", cwd: project.path, task: TASK });
    const submits = () => readFakeTuiLog(log).filter((e) => e.event === "submit");

    await waitFor(() => readFakeTuiLog(log).some((e) => e.event === "screen" && e.id === "idle"), { what: "the CLI's idle input" });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(submits()).toEqual([]);
    expect(ws.get(agent.id)?.status).toBe("starting");

    ws.bridgeReady(agent.id);
    await waitFor(() => ws.get(agent.id)?.status === "running", { what: "the agent running" });
    await waitFor(() => submits().length > 0, { what: "the task submitted" });
    expect(submits()).toHaveLength(1);
    expect(submits()[0]?.text).toBe(TASK);
  });
});
