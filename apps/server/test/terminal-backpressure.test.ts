import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { LIMITS, type Agent } from "@clustr/protocol";
import { waitFor } from "@clustr/test-utils";
import { afterEach, beforeEach, expect, it } from "vitest";
import WebSocket from "ws";
import { buildServer } from "../src/index.js";
import { CLOSE_CODES } from "../src/routes/close-codes.js";
import { TOKEN } from "./helpers.js";
import { spawnBash, startHarness, USER, waitRunning, type Harness } from "./workspace-harness.js";

// A real socket whose reader stops reading: what a frozen browser tab looks like to the server.
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

function upgrade(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (!head.startsWith("HTTP/1.1 101")) reject(new Error(head.split("\r\n")[0]));
      else resolve(socket);
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.write(
      [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        `Authorization: Bearer ${TOKEN}`,
        "Connection: Upgrade",
        "Upgrade: websocket",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "",
        "",
      ].join("\r\n"),
    );
  });
}

/** Serve the harness's workspace on a real 127.0.0.1 port and run `test` with a running bash agent. */
async function withAgentOnPort(name: string, test: (port: number, agent: Agent) => Promise<void>, terminalAckStallMs?: number): Promise<void> {
  const app = await buildServer({ token: TOKEN, dashboardDir: null, workspace: h.workspace, terminalAckStallMs });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  try {
    const agent = await spawnBash(h, name);
    await waitRunning(h, agent.id);
    await test(port, agent);
  } finally {
    await app.close();
  }
}

it("pauses the agent's pty while its terminal socket is not read, and resumes when it is", async () => {
  await withAgentOnPort("firehose", async (port, agent) => {
    const socket = await upgrade(port, `/api/agents/${agent.id}/terminal`);
    socket.pause();
    await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/input`, headers: USER, payload: { text: "yes flood-of-output", submit: true } });
    const pty = h.workspace.terminal(agent.id).pty();
    await waitFor(() => pty.paused, { timeoutMs: 30_000, what: "pty paused" });
    expect(h.workspace.get(agent.id)?.status).toBe("running");

    // Reading again lets the output flow: more arrives, and the pty is let go at least once.
    let received = 0;
    let sawResume = false;
    const watch = setInterval(() => {
      if (!pty.paused) sawResume = true;
    }, 1);
    socket.on("data", (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await waitFor(() => received > 1024 * 1024 && sawResume, { timeoutMs: 30_000, what: "output flowing again" });
    clearInterval(watch);
    socket.destroy();
  });
});

it("keeps at most the ack window in flight to a client that acknowledges, and closes on a false ack", async () => {
  await withAgentOnPort("acked", async (port, agent) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/agents/${agent.id}/terminal`, { headers: { authorization: `Bearer ${TOKEN}` } });
    let received = 0;
    let closed: { code: number; reason: string } | undefined;
    socket.on("message", (data: Buffer) => (received += data.length));
    socket.on("close", (code, reason) => (closed = { code, reason: reason.toString() }));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const ack = (bytes: number) => socket.send(JSON.stringify({ type: "ack", bytes }));

    // What has arrived once nothing more comes for 300 ms.
    const quiet = async (): Promise<number> => {
      let last = -1;
      for (let i = 0; i < 30 && last !== received; i++) {
        last = received;
        await new Promise((r) => setTimeout(r, 300));
      }
      if (last !== received) throw new Error(`output never stopped: ${received} bytes`);
      return last;
    };
    // The scrollback first; acknowledge it.
    const seen = await quiet();
    ack(seen);
    await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/input`, headers: USER, payload: { text: "yes acked-flood", submit: true } });
    const pty = h.workspace.terminal(agent.id).pty();
    await waitFor(() => pty.paused, { timeoutMs: 30_000, what: "pty paused behind the window" });
    // Nothing acknowledged since: output stops within the window plus the one frame that may
    // cross it (at most the session's queue, 256 KiB, and a read).
    const acked = await quiet();
    expect(acked - seen).toBeGreaterThan(0);
    expect(acked - seen).toBeLessThan(LIMITS.terminalAckWindowBytes + 512 * 1024);
    expect(h.workspace.get(agent.id)?.status).toBe("running");

    // Acknowledging what arrived lets more come.
    ack(received);
    await waitFor(() => received > acked + LIMITS.terminalAckWindowBytes, { timeoutMs: 30_000, what: "output after the ack" });

    // An ack of more than was sent cannot be right: the socket closes, the agent runs on.
    ack(received + 10 * 1024 * 1024);
    await waitFor(() => closed, { timeoutMs: 10_000, what: "close on a false ack" });
    expect(closed?.code).toBe(CLOSE_CODES.badMessage);
    expect(closed?.reason).toMatch(/^ack of \d+ bytes, but \d+ were sent$/);
    expect(h.workspace.get(agent.id)?.status).toBe("running");
  });
});

it("closes a client that stopped acknowledging with 4008, and the agent runs on", async () => {
  await withAgentOnPort(
    "frozen",
    async (port, agent) => {
      // A tab frozen by its browser: it acknowledged once, then reads on but says nothing more.
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/agents/${agent.id}/terminal`, { headers: { authorization: `Bearer ${TOKEN}` } });
      let closed: { code: number; reason: string } | undefined;
      socket.on("close", (code, reason) => (closed = { code, reason: reason.toString() }));
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      socket.send(JSON.stringify({ type: "ack", bytes: 0 }));
      await h.app.inject({ method: "POST", url: `/api/agents/${agent.id}/input`, headers: USER, payload: { text: "yes frozen-flood", submit: true } });
      const pty = h.workspace.terminal(agent.id).pty();
      await waitFor(() => pty.paused, { timeoutMs: 30_000, what: "pty paused behind the window" });
      await waitFor(() => closed, { timeoutMs: 30_000, what: "close of the stalled socket" });
      expect(closed?.code).toBe(CLOSE_CODES.tooSlow);
      expect(closed?.reason).toMatch(/^no output acknowledged for \d+ s: reconnect$/);
      // Without the stalled socket the output flows again.
      await waitFor(() => !pty.paused, { timeoutMs: 30_000, what: "pty resumed" });
      expect(h.workspace.get(agent.id)?.status).toBe("running");
    },
    1000,
  );
});
