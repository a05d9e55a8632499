// e2e: the real Claude Code (both versions) and Codex CLIs spawned through Clustr's HTTP API
// (the real `clustr-ai` bin), on a fake model on loopback, in a folder the CLI has never seen,
// with a returning user's config — and not one keystroke from the test.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "@clustr/test-utils";
import { DONE_TEXT, E2E_CLIS, listProcesses, processesWithEnv, sessionProcesses } from "../src/index.js";
import { AGENT_TIMEOUT_MS, readUserConfig, useApiFixture, withDiagnostics } from "./helpers/api-fixture.js";
import { longTask } from "./helpers/e2e-fixture.js";

// Long enough that Claude 2.1.330 would wrap it in <pasted_content> tags if it went as one paste.
const TASK = longTask("Look around, then tell me who else is here.", ["CALL list_agents {}"]);

describe.each(E2E_CLIS.map((c) => c.id))("e2e api %s", (cli) => {
  const start = useApiFixture();

  it(
    "spawns through POST /api/agents with the task as the first user turn, runs, idles, and leaves nothing behind when killed",
    async () => {
      const f = await start(cli);
      const created = await f.spawn({ name: "solo", task: TASK });
      expect(created).toMatchObject({ name: "solo", kind: f.kind, status: "starting", cwd: f.cwd, task: TASK, parentId: null });

      const { agent, pids } = await withDiagnostics(f, async () => {
        // The scripted model calls list_agents, gets the result, and ends the turn.
        await waitFor(
          () => f.turnsOf(created).find((r) => r.view?.toolResults.length && r.action?.kind === "text"),
          { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "the list_agents result reaching the model" },
        );
        const agent = await f.waitIdle(created.id, "solo");
        // Everything in the agent's pty session (the CLI and its bridge), and the bridge found by its identity.
        const pids = [...sessionProcesses(agent.pid!).map((p) => p.pid), ...processesWithEnv("CLUSTR_AGENT_ID", agent.id).map((p) => p.pid)];
        return { agent, pids };
      });

      const turns = f.turnsOf(created);
      const first = turns[0]!;
      // The task, verbatim, is the first user turn; the identity and rules are system/developer text, not a user turn.
      expect(TASK.length).toBeGreaterThan(1200);
      expect(TASK.split("\n").length).toBeGreaterThan(4);
      expect(first.view?.userTexts[0]).toBe(TASK);
      expect(first.view?.system).toContain(`You are agent solo (id ${created.id}) in a Clustr workspace`);
      expect(first.view?.system).toContain("Rules shared by every agent in this workspace:");
      for (const turn of turns) expect(turn.view?.userTexts.join("\n")).not.toContain("You are agent solo");
      if (f.kind === "claude") {
        expect(first.view?.tools.map((t) => t.name)).toEqual(
          expect.arrayContaining(["mcp__clustr__send_message", "mcp__clustr__read_messages", "mcp__clustr__spawn_agent", "mcp__clustr__set_context"]),
        );
        // Claude's system prompt is a `system` field, never a user message; the task is a text block of its own, as typed.
        const messages = (first.body as { messages: { role: string; content: { type: string; text?: string }[] | string }[] }).messages;
        expect(JSON.stringify(messages)).not.toContain("You are agent solo");
        const firstUser = messages.find((m) => m.role === "user")?.content;
        expect(Array.isArray(firstUser) ? firstUser.map((b) => b.text) : [firstUser]).toContain(TASK);
      } else {
        expect(first.view?.tools).toContainEqual({ name: "mcp__clustr__send_message", callName: "send_message", namespace: "mcp__clustr" });
        expect(first.view?.tools).toContainEqual({ name: "mcp__clustr__read_messages", callName: "read_messages", namespace: "mcp__clustr" });
        // developer_instructions arrive as a developer message of the input.
        const input = (first.body as { input: { role?: string; content?: unknown }[] }).input;
        expect(input.some((item) => item.role === "developer" && JSON.stringify(item.content).includes("You are agent solo"))).toBe(true);
        expect(input.some((item) => item.role === "user" && JSON.stringify(item.content).includes("You are agent solo"))).toBe(false);
      }
      // The tool ran on the server: its result lists this agent.
      const result = turns.flatMap((r) => r.view?.toolResults ?? []).at(-1);
      expect(result?.output).toContain(created.id);
      expect(turns.at(-1)?.action).toEqual({ kind: "text", text: DONE_TEXT });
      expect(agent).toMatchObject({ status: "running", activity: "idle" });

      // Zero keystrokes: every startup question was pre-answered or answered by Clustr, and the
      // user's config keeps every key it had (Claude: plus the trust of this folder only).
      const after = readUserConfig(f);
      if (f.kind === "claude") {
        const before = f.userConfigBefore as Record<string, unknown>;
        const now = after as Record<string, unknown>;
        // The CLI keeps its own counters (numStartups, tips) up to date; the user's choices stay as they were.
        expect(Object.keys(now)).toEqual(expect.arrayContaining(Object.keys(before)));
        for (const key of ["hasCompletedOnboarding", "customApiKeyResponses", "userID"]) expect(now[key], key).toEqual(before[key]);
        const projectsBefore = before["projects"] as Record<string, unknown>;
        const projects = now["projects"] as Record<string, { hasTrustDialogAccepted?: boolean }>;
        for (const [folder, entry] of Object.entries(projectsBefore)) expect(projects[folder], folder).toMatchObject(entry as object);
        expect(projects[f.cwd]?.hasTrustDialogAccepted).toBe(true);
      } else {
        // Codex appends its own [tui] state; what the user wrote stays, and no override lands there.
        expect((after as string).startsWith(f.userConfigBefore as string)).toBe(true);
        expect(after).not.toMatch(/clustr|projects|developer_instructions|approval_policy|daemon_auto_start/);
      }

      // The per-agent config (MCP config, token file) exists while it runs and goes with it.
      const agentDir = join(f.dataDir, "agents", agent.id);
      expect(existsSync(agentDir)).toBe(true);
      expect(pids).toContain(agent.pid);
      expect(pids.length).toBeGreaterThan(1);
      const bridges = processesWithEnv("CLUSTR_AGENT_ID", agent.id).filter((p) => p.cmdline.includes("bridge"));
      expect(bridges.length).toBeGreaterThan(0);
      const killed = await f.server.api("POST", `/api/agents/${agent.id}/kill`);
      expect(killed.status).toBe(200);
      expect((killed.body as { agent: { status: string } }).agent.status).toBe("killed");
      await waitFor(
        () => {
          const live = new Set(listProcesses().map((p) => p.pid));
          return pids.every((pid) => !live.has(pid));
        },
        { timeoutMs: 15_000, what: "every process of the agent to be gone" },
      );
      expect(sessionProcesses(agent.pid!)).toEqual([]);
      expect(processesWithEnv("CLUSTR_AGENT_ID", agent.id)).toEqual([]);
      expect(await f.agent(agent.id)).toMatchObject({ status: "killed" });
      await waitFor(() => !existsSync(agentDir) || undefined, { timeoutMs: 10_000, what: "the agent's config folder to be removed" });
    },
    AGENT_TIMEOUT_MS * 2,
  );
});
