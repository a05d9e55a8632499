// e2e: two agents of the same real CLI collaborate through the clustr tools, spawned and watched
// through Clustr's HTTP API (the real `clustr-ai` bin), on a fake model that does what the
// `CALL` lines of its task — or of the messages it reads — ask.
import { describe, expect, it } from "vitest";
import { waitFor } from "@clustr/test-utils";
import { MessageSchema, type Agent, type Message } from "@clustr/protocol";
import { DONE_TEXT, E2E_CLIS, listProcesses, sessionProcesses, type RecordedRequest } from "../src/index.js";
import { AGENT_TIMEOUT_MS, useApiFixture, withDiagnostics } from "./helpers/api-fixture.js";

const call = (tool: string, input: Record<string, unknown>): string => `CALL ${tool} ${JSON.stringify(input)}`;
const PLAN = "ship the e2e run";
const HELLO = "hello bee, from ant";
const PONG = "pong from bee";
const KID_TASK = "Say hi to your parent.";

/** The output of the first result of `tool` the agent's model was given. */
function resultOf(turns: RecordedRequest[], tool: string): string | undefined {
  for (const turn of turns) {
    const found = turn.view?.resultsSinceUserText.find((r) => r.name === tool || r.name.endsWith(`__${tool}`));
    if (found) return found.output;
  }
  return undefined;
}

describe.each(E2E_CLIS.map((c) => c.id))("e2e api collaboration %s", (cli) => {
  const start = useApiFixture();

  it(
    "messages, shared context, a spawned child and wait_for_message work between two agents",
    async () => {
      const f = await start(cli);

      await withDiagnostics(f, async () => {
        // bee starts first and goes idle with nothing to do.
        const bee = await f.spawn({ name: "bee", task: "Wait for messages from the team." });
        await waitFor(() => f.turnsOf(bee).find((r) => r.action?.kind === "text"), { timeoutMs: AGENT_TIMEOUT_MS, what: "bee's first turn" });
        await f.waitIdle(bee.id, "bee");

        // ant shares a note, messages bee (whose message asks bee to read the note and answer),
        // waits for the answer, then starts a helper.
        const beeScript = [HELLO, call("get_context", { key: "plan" }), call("send_message", { to: "ant", body: PONG })].join("\n");
        const antTask = [
          "Plan the work with bee.",
          call("set_context", { key: "plan", value: PLAN }),
          call("send_message", { to: "bee", body: beeScript }),
          call("wait_for_message", { timeout_s: 50 }),
          call("spawn_agent", { name: "kid", kind: f.kind, task: KID_TASK }),
        ].join("\n");
        const ant = await f.spawn({ name: "ant", task: antTask });

        // bee gets the notice at its idle moment and reads the message: its tool result carries ant's text.
        const notice = await waitFor(
          () => f.turnsOf(bee).find((r) => /^\[clustr\] message #\d+ from ant: hello bee, from ant/.test(r.view?.userTexts.at(-1) ?? "")),
          { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "the message notice reaching bee's model" },
        );
        expect(notice.view?.userTexts.at(-1)).not.toContain("\n");
        const read = await waitFor(() => resultOf(f.turnsOf(bee), "read_messages"), { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "bee's read_messages result" });
        expect(read).toContain(HELLO);
        expect(read).toContain(ant.id);

        // bee read what ant set.
        const context = await waitFor(() => resultOf(f.turnsOf(bee), "get_context"), { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "bee's get_context result" });
        expect(context).toContain(PLAN);

        // ant's wait_for_message returns bee's answer.
        const waited = await waitFor(() => resultOf(f.turnsOf(ant), "wait_for_message"), { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "ant's wait_for_message result" });
        expect(waited).toContain(PONG);
        expect(waited).toContain(bee.id);

        // ant's child: created with ant as parent, in ant's folder, with its task as its first user turn.
        const kidCreated = await f.events.next(
          (e) => (e.type === "agent.created" && e.data.agent.name === "kid" ? e.data.agent : undefined),
          "kid created",
          AGENT_TIMEOUT_MS,
        );
        expect(kidCreated).toMatchObject({ kind: f.kind, parentId: ant.id, cwd: f.cwd, task: KID_TASK, permissionMode: ant.permissionMode });
        const spawnResult = await waitFor(() => resultOf(f.turnsOf(ant), "spawn_agent"), { timeoutMs: AGENT_TIMEOUT_MS, intervalMs: 250, what: "ant's spawn_agent result" });
        expect(spawnResult).toContain(kidCreated.id);
        const kid = await f.waitIdle(kidCreated.id, "kid");
        await waitFor(() => f.turnsOf(kid).find((r) => r.action?.kind === "text"), { timeoutMs: AGENT_TIMEOUT_MS, what: "kid's turn" });
        expect(f.turnsOf(kid)[0]?.view?.userTexts[0]).toBe(KID_TASK);

        // Both ends are done with their turns.
        await waitFor(() => f.turnsOf(ant).at(-1)?.action?.kind === "text" || undefined, { timeoutMs: AGENT_TIMEOUT_MS, what: "ant's last turn" });
        expect(f.turnsOf(ant).at(-1)?.action).toEqual({ kind: "text", text: DONE_TEXT });
        await f.waitIdle(ant.id, "ant");

        // The API tells the same story: the shared note, the two messages (both read), the family tree.
        const entry = await f.server.api("GET", "/api/context/plan");
        expect(entry.status).toBe(200);
        expect((entry.body as { entry: unknown }).entry).toMatchObject({ key: "plan", value: PLAN, author: ant.id });
        const listed = await f.server.api("GET", "/api/messages");
        const messages = (listed.body as { messages: unknown[] }).messages.map((m) => MessageSchema.parse(m));
        const hello = messages.find((m) => m.from === ant.id && m.to === bee.id);
        const pong = messages.find((m) => m.from === bee.id && m.to === ant.id);
        expect(hello).toMatchObject({ body: beeScript, state: "read" });
        expect(pong).toMatchObject({ body: PONG, state: "read" });
        // ant -> bee went queued -> delivered -> read, in that order, on /api/events.
        const states = f.events.received.flatMap((e) =>
          (e.type === "message.created" || e.type === "message.updated") && e.data.message.id === hello?.id ? [e.data.message.state] : [],
        );
        expect(dedupe(states)).toEqual(["queued", "delivered", "read"]);
        const agents = (await f.server.api("GET", "/api/agents")).body as { agents: Agent[] };
        expect(agents.agents.map((a) => [a.name, a.parentId]).sort()).toEqual(
          [
            ["ant", null],
            ["bee", null],
            ["kid", ant.id],
          ].sort(),
        );

        // Stopping the server ends every agent's processes.
        const pids = [ant, bee, kid].flatMap((a) => sessionProcesses((agents.agents.find((x) => x.id === a.id) as Agent).pid!).map((p) => p.pid));
        expect(pids.length).toBeGreaterThanOrEqual(6);
        await f.server.stop();
        // Ended processes may take a moment to be reaped by whoever inherited them.
        await waitFor(
          () => {
            const live = new Set(listProcesses().map((p) => p.pid));
            return pids.every((pid) => !live.has(pid)) || undefined;
          },
          { timeoutMs: 10_000, what: "every agent process to be gone after the server stopped" },
        );
      });
    },
    AGENT_TIMEOUT_MS * 4,
  );
});

function dedupe(states: Message["state"][]): Message["state"][] {
  return states.filter((state, i) => i === 0 || state !== states[i - 1]);
}
