import { isAlive, waitFor } from "@clustr/test-utils";
import type { ClustrEvent } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../src/index.js";
import { openSocket, spawnBash, startHarness, USER, waitRunning, type Harness } from "./workspace-harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const screenOf = async (id: string) => (await h.app.inject({ method: "GET", url: `/api/agents/${id}/screen`, headers: USER })).json<{ screen: string }>().screen;

describe("WS /api/events", () => {
  it("streams a command agent's life: created, running, input on screen, killed", async () => {
    const { socket, received } = await openSocket(h.app, "/api/events");
    const agent = await spawnBash(h, "worker");
    const events = () => received.events();
    await waitFor(() => events().some((e) => e.type === "agent.updated" && e.data.agent.status === "running"), { timeoutMs: 30_000, what: "running event" });
    expect(events()[0]).toMatchObject({ type: "agent.created", data: { agent: { id: agent.id, status: "starting" } } });
    expect(received.frames.every((f) => !f.binary)).toBe(true);
    // Sequence numbers only go up, one by one.
    const seqs = events().map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));

    await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/input`, headers: USER, payload: { text: "echo hi", submit: true } });
    await waitFor(async () => /^hi$/m.test(await screenOf(agent.id)), { what: "hi on screen" });

    const pid = h.workspace.get(agent.id)!.pid!;
    await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/kill`, headers: USER });
    await waitFor(() => events().some((e) => e.type === "agent.updated" && e.data.agent.status === "killed"), { what: "killed event" });
    expect(isAlive(pid)).toBe(false);
    socket.terminate();
  });

  it("replays exactly the missed events after a disconnect (?since=)", async () => {
    const first = await openSocket(h.app, "/api/events");
    await h.app.inject({ method: "PUT", url: "/api/context/a", headers: USER, payload: { value: "1" } });
    await waitFor(() => first.received.frames.length === 1, { what: "first event" });
    const lastSeen = first.received.events()[0]!.seq;
    first.socket.terminate();

    // Missed while disconnected.
    for (const key of ["b", "c", "d"]) await h.app.inject({ method: "PUT", url: `/api/context/${key}`, headers: USER, payload: { value: key } });
    await h.app.inject({ method: "PUT", url: "/api/rules", headers: USER, payload: { content: "rules" } });

    const second = await openSocket(h.app, `/api/events?since=${lastSeen}`);
    await waitFor(() => second.received.frames.length === 4, { what: "replay" });
    await h.app.inject({ method: "PUT", url: "/api/context/e", headers: USER, payload: { value: "live" } });
    await waitFor(() => second.received.frames.length === 5, { what: "live event" });
    const got = second.received.events();
    expect(got.map((e) => e.seq)).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3, lastSeen + 4, lastSeen + 5]);
    expect(got.map((e) => (e.type === "context.changed" ? e.data.key : e.type))).toEqual(["b", "c", "d", "rules.changed", "e"]);
    second.socket.terminate();
  });

  it("loses and repeats nothing when events are emitted while a replay is sent", async () => {
    for (let i = 0; i < 50; i++) h.workspace.setContext(`k${i}`, "v");
    const writer = (async () => {
      for (let i = 0; i < 200; i++) {
        h.workspace.setContext(`live${i}`, "v");
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const { socket, received } = await openSocket(h.app, "/api/events?since=0");
    await writer;
    await waitFor(() => received.frames.length >= 250, { what: "all events" });
    await new Promise((r) => setTimeout(r, 100));
    expect(received.events().map((e) => e.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    socket.terminate();
  });

  it("sends a reset when the client's seq is from an earlier run or no longer kept", async () => {
    h.workspace.setContext("x", "1");
    const { socket, received } = await openSocket(h.app, "/api/events?since=999");
    await waitFor(() => received.frames.length === 1, { what: "reset" });
    expect(received.events()[0]).toMatchObject({ type: "reset", seq: 1 });
    h.workspace.setContext("y", "2");
    await waitFor(() => received.frames.length === 2, { what: "live after reset" });
    expect(received.events()[1]).toMatchObject({ type: "context.changed", seq: 2 });
    socket.terminate();
  });

  it("refuses a bad ?since= with 400 before the upgrade", async () => {
    await expect(h.app.injectWS("/api/events?since=-3", { headers: USER })).rejects.toThrow("Unexpected server response: 400");
    await expect(h.app.injectWS("/api/events?since=abc", { headers: USER })).rejects.toThrow("Unexpected server response: 400");
  });

  it("closes a client that falls far behind, with the code that says to reconnect with since", async () => {
    // A separate app with a tiny limit: an unread socket's buffer passes it after a few events.
    const { buildServer } = await import("../src/index.js");
    const { eventsSocket } = await import("../src/routes/events-socket.js");
    const { TOKEN, PORT } = await import("./helpers.js");
    const app = await buildServer({ token: TOKEN, port: PORT, dashboardDir: null, routes: async (scope) => {
        await scope.register(eventsSocket, { workspace: h.workspace, maxBufferedBytes: 1 });
      },
    });
    const { socket, received } = await openSocket(app, "/api/events");
    // Pause the client's reading side so nothing drains.
    const big = "x".repeat(200_000);
    for (let i = 0; i < 50; i++) h.workspace.setContext(`big${i}`, big);
    await waitFor(() => received.closed, { what: "close" });
    expect(received.closed!.code).toBe(CLOSE_CODES.tooSlow);
    expect(received.closed!.reason).toMatch(/since=\d+/);
    expect(received.frames.length).toBeLessThan(50);
    socket.terminate();
    await app.close();
  });
});

describe("WS /api/agents/:id/terminal", () => {
  it("sends the scrollback, then live output; typed keys reach the program; resize changes tput cols", async () => {
    const agent = await spawnBash(h, "shell", "echo scrollback-marker");
    await waitRunning(h, agent.id);
    await waitFor(async () => /^scrollback-marker$/m.test(await screenOf(agent.id)), { what: "task output" });

    const { socket, received } = await openSocket(h.app, `/api/agents/${agent.id}/terminal`);
    await waitFor(() => received.text().includes("scrollback-marker"), { what: "scrollback" });
    expect(received.frames.every((f) => f.binary)).toBe(true);

    // Raw keys, as the browser's terminal sends them: the user types.
    socket.send(JSON.stringify({ type: "input", data: "echo typed-$((6*7))\r" }));
    await waitFor(() => received.text().includes("typed-42"), { what: "typed command's output" });

    socket.send(JSON.stringify({ type: "resize", cols: 77, rows: 20 }));
    await new Promise((r) => setTimeout(r, 100));
    socket.send(JSON.stringify({ type: "input", data: "echo cols=$(tput cols)\r" }));
    await waitFor(() => received.text().includes("cols=77"), { what: "tput cols" });
    socket.terminate();
  });

  it("closes with agentEnded when the agent ends, and refuses unknown or ended agents", async () => {
    const agent = await spawnBash(h, "short");
    await waitRunning(h, agent.id);
    const { received } = await openSocket(h.app, `/api/agents/short/terminal`);
    await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/kill`, headers: USER });
    await waitFor(() => received.closed, { what: "close on end" });
    expect(received.closed!.code).toBe(CLOSE_CODES.agentEnded);
    expect(received.closed!.reason).toContain("killed");

    const after = await openSocket(h.app, `/api/agents/${agent.id}/terminal`);
    await waitFor(() => after.received.closed, { what: "close for an ended agent" });
    expect(after.received.closed!.code).toBe(CLOSE_CODES.agentNotRunning);

    await expect(h.app.injectWS("/api/agents/ghost/terminal", { headers: USER })).rejects.toThrow("Unexpected server response: 404");
    await expect(h.app.injectWS(`/api/agents/${agent.id}/terminal`, { headers: { host: USER.host } })).rejects.toThrow("Unexpected server response: 401");
  });

  it("closes on a malformed frame and leaves the program untouched", async () => {
    const agent = await spawnBash(h, "strict");
    await waitRunning(h, agent.id);
    const { socket, received } = await openSocket(h.app, `/api/agents/${agent.id}/terminal`);
    socket.send("echo not-json\r");
    await waitFor(() => received.closed, { what: "close" });
    expect(received.closed!.code).toBe(CLOSE_CODES.badMessage);
    expect(await screenOf(agent.id)).not.toContain("not-json");
    expect(h.workspace.get(agent.id)!.status).toBe("running");
  });
});

export type { ClustrEvent };
