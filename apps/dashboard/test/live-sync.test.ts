import { describe, expect, it } from "vitest";
import type { ClustrEvent } from "@clustr/protocol";
import { LiveSync, defaultBackoff, eventsUrl } from "../src/index.js";
import type { EventSocket, Snapshot, SyncSnapshot } from "../src/index.js";
import { agent, message } from "./fixtures.js";

// Stands in for the browser's WebSocket: the test plays the server's side of the socket.
class ScriptedSocket implements EventSocket {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  open(): void {
    this.onopen?.(new Event("open"));
  }
  send(event: ClustrEvent | string): void {
    this.onmessage?.(new MessageEvent("message", { data: typeof event === "string" ? event : JSON.stringify(event) }));
  }
  drop(): void {
    this.onclose?.(new Event("close") as CloseEvent);
  }
  close(): void {
    this.closed = true;
  }
}

const T = "2026-01-01T10:00:00.000Z";
const created = (seq: number, id: number): ClustrEvent => ({ seq, type: "message.created", at: T, data: { message: message(id, null, "aaaa") } });

function setup(snapshots: Array<Snapshot | Error>) {
  const sockets: ScriptedSocket[] = [];
  const timers: Array<() => void> = [];
  const loads: Array<{ resolve: () => void }> = [];
  const reports: SyncSnapshot[] = [];
  let loadCount = 0;
  const sync = new LiveSync({
    eventsUrl: (since) => eventsUrl({ protocol: "http:", host: "127.0.0.1:9" }, since),
    openSocket: (url) => {
      const socket = new ScriptedSocket(url);
      sockets.push(socket);
      return socket;
    },
    loadSnapshot: () => {
      const answer = snapshots[Math.min(loadCount++, snapshots.length - 1)] as Snapshot | Error;
      // Loads finish when the test says so, to let events arrive meanwhile.
      return new Promise<Snapshot>((resolve, reject) => loads.push({ resolve: () => (answer instanceof Error ? reject(answer) : resolve(answer)) }));
    },
    onChange: (s) => reports.push(s),
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
  });
  const finishLoad = async () => {
    loads.shift()?.resolve();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { sync, sockets, timers, loads, reports, finishLoad, loadCount: () => loadCount };
}

const snap = (over: Partial<Snapshot> = {}): Snapshot => ({ agents: [agent("aaaa")], messages: [], context: [], files: [], rules: "r", ...over });

describe("LiveSync", () => {
  it("loads the lists once the socket opens and applies events that arrive during the load", async () => {
    const t = setup([snap({ messages: [message(1, null, "aaaa")] })]);
    t.sync.start();
    expect(t.sockets[0]?.url).toBe("ws://127.0.0.1:9/api/events");
    t.sockets[0]?.open();
    t.sockets[0]?.send(created(5, 2));
    expect(t.sync.current().loaded).toBe(false);
    await t.finishLoad();
    const now = t.sync.current();
    expect(now.loaded).toBe(true);
    expect(now.status).toBe("live");
    expect(now.state.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(now.lastSeq).toBe(5);
    expect(t.reports.at(-1)).toEqual(now);
  });

  it("resumes after a drop with ?since= and applies what it missed without reloading", async () => {
    const t = setup([snap()]);
    t.sync.start();
    t.sockets[0]?.open();
    await t.finishLoad();
    t.sockets[0]?.send(created(7, 1));
    t.sockets[0]?.drop();
    expect(t.sync.current().status).toBe("reconnecting");
    expect(t.timers).toHaveLength(1);
    t.timers.shift()?.();
    expect(t.sockets[1]?.url).toBe("ws://127.0.0.1:9/api/events?since=7");
    t.sockets[1]?.open();
    t.sockets[1]?.send(created(8, 2));
    t.sockets[1]?.send(created(9, 3));
    expect(t.loadCount()).toBe(1);
    expect(t.sync.current().state.messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(t.sync.current().status).toBe("live");
  });

  it("reloads the lists on a reset event and keeps its sequence number", async () => {
    const t = setup([snap(), snap({ messages: [message(40, null, "aaaa")] })]);
    t.sync.start();
    t.sockets[0]?.open();
    await t.finishLoad();
    t.sockets[0]?.send(created(3, 1));
    t.sockets[0]?.send({ seq: 20_000, type: "reset", at: T, data: { reason: "replay window passed" } });
    expect(t.loadCount()).toBe(2);
    await t.finishLoad();
    expect(t.sync.current().state.messages.map((m) => m.id)).toEqual([40]);
    expect(t.sync.current().lastSeq).toBe(20_000);
  });

  it("reloads after a drop when no event had arrived, since there is nothing to resume from", async () => {
    const t = setup([snap(), snap({ agents: [agent("aaaa"), agent("bbbb")] })]);
    t.sync.start();
    t.sockets[0]?.open();
    await t.finishLoad();
    t.sockets[0]?.drop();
    t.timers.shift()?.();
    expect(t.sockets[1]?.url).toBe("ws://127.0.0.1:9/api/events");
    t.sockets[1]?.open();
    await t.finishLoad();
    expect(t.sync.current().state.agents.map((a) => a.id)).toEqual(["aaaa", "bbbb"]);
  });

  it("reloads when the sequence goes back (a restarted server)", async () => {
    const t = setup([snap(), snap()]);
    t.sync.start();
    t.sockets[0]?.open();
    await t.finishLoad();
    t.sockets[0]?.send(created(50, 1));
    t.sockets[0]?.send(created(2, 2));
    expect(t.loadCount()).toBe(2);
    await t.finishLoad();
    expect(t.sync.current().lastSeq).toBe(2);
  });

  it("ignores frames that are not events", async () => {
    const t = setup([snap()]);
    t.sync.start();
    t.sockets[0]?.open();
    await t.finishLoad();
    t.sockets[0]?.send("not json");
    t.sockets[0]?.send(JSON.stringify({ seq: 1, type: "agent.updated", at: T, data: {} }));
    expect(t.sync.current().lastSeq).toBeNull();
    expect(t.sync.current().state.messages).toEqual([]);
  });

  it("reports a failed load, keeps events, and loads again when asked", async () => {
    const t = setup([new Error("the server does not answer"), snap()]);
    t.sync.start();
    t.sockets[0]?.open();
    t.sockets[0]?.send(created(1, 1));
    await t.finishLoad();
    expect(t.sync.current().loadError).toBe("the server does not answer");
    expect(t.sync.current().state.messages.map((m) => m.id)).toEqual([1]);
    t.sync.reload();
    await t.finishLoad();
    expect(t.sync.current().loadError).toBeNull();
    expect(t.sync.current().loaded).toBe(true);
  });

  it("stops reconnecting once stopped", () => {
    const t = setup([snap()]);
    t.sync.start();
    t.sync.stop();
    expect(t.sockets[0]?.closed).toBe(true);
    t.sockets[0]?.drop();
    expect(t.timers).toHaveLength(0);
    expect(t.sync.current().status).toBe("closed");
  });

  it("backs off between attempts, up to five seconds", () => {
    expect([0, 1, 2, 3, 10].map(defaultBackoff)).toEqual([250, 500, 1000, 2000, 5000]);
  });
});

describe("LiveSync.forgetAgent", () => {
  it("drops a removed agent from the state and reports it", async () => {
    const t = setup([snap({ agents: [agent("aaaa"), agent("bbbb")] })]);
    t.sync.start();
    t.sockets[0]?.open();
    await t.finishLoad();
    const reports = t.reports.length;
    t.sync.forgetAgent("aaaa");
    expect(t.sync.current().state.agents.map((a) => a.id)).toEqual(["bbbb"]);
    expect(t.reports.length).toBe(reports + 1);
  });
});
