import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { openStore, type Store } from "@clustr/store";
import type { ClustrEvent, EventType } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Broker, type DeliveryPort } from "../src/index.js";

/** Terminals of the test: which agents are idle, and every notice typed. */
class Terminals implements DeliveryPort {
  idle = new Set<string>();
  typed: { agentId: string; text: string }[] = [];
  injectDelayMs = 0;
  canDeliver(agentId: string): boolean {
    return this.idle.has(agentId);
  }
  async inject(agentId: string, text: string): Promise<boolean> {
    if (this.injectDelayMs) await new Promise((r) => setTimeout(r, this.injectDelayMs));
    this.typed.push({ agentId, text });
    return true;
  }
}

let dir: TempDir;
let store: Store;
let terminals: Terminals;
let events: { type: EventType; data: unknown }[];
let broker: Broker;

const agent = (name: string, status: "starting" | "running" = "running") => {
  const created = store.agents.create({ name, kind: "command", task: "t", cwd: dir.path, command: "bash" });
  return status === "running" ? store.agents.update(created.id, { status: "running", activity: "idle" }) : created;
};

beforeEach(async () => {
  dir = await makeTempDir();
  store = openStore({ dataDir: dir.path });
  terminals = new Terminals();
  events = [];
  broker = new Broker({
    messages: store.messages,
    agents: store.agents,
    delivery: terminals,
    emit: (type, data) => events.push({ type, data }),
    sweepIntervalMs: 60_000,
  });
});

afterEach(async () => {
  broker.close();
  await store.close();
  await dir.cleanup();
});

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("Broker.send", () => {
  it("stores, emits and types the notice into an idle recipient: queued -> delivered", async () => {
    const lead = agent("lead");
    const helper = agent("helper");
    terminals.idle.add(helper.id);
    const [message] = await broker.send(lead.id, "helper", "please\nreview the PR");
    expect(message).toMatchObject({ from: lead.id, to: helper.id, state: "queued" });
    await settle();
    expect(terminals.typed).toEqual([
      { agentId: helper.id, text: `[clustr] message #${message!.id} from lead: please review the PR (call read_messages to read it)` },
    ]);
    expect(store.messages.get(message!.id)?.state).toBe("delivered");
    expect(events.map((e) => e.type)).toEqual(["message.created", "message.updated"]);
    expect((events[1]!.data as { message: { state: string } }).message.state).toBe("delivered");
  });

  it("keeps a message for a busy or starting agent queued until its next idle moment", async () => {
    const busy = agent("busy");
    const starting = agent("starting", "starting");
    await broker.send(null, busy.id, "one");
    await broker.send(null, "starting", "two");
    await settle();
    expect(terminals.typed).toEqual([]);
    expect(store.messages.queuedFor(busy.id)).toHaveLength(1);
    terminals.idle.add(busy.id);
    broker.onIdle(busy.id);
    await settle();
    expect(terminals.typed.map((t) => t.agentId)).toEqual([busy.id]);
    expect(terminals.typed[0]!.text).toContain("from user: one");
    expect(store.messages.queuedFor(starting.id)).toHaveLength(1);
  });

  it("broadcasts one message per live agent except the sender", async () => {
    const a = agent("a");
    const b = agent("b");
    const c = agent("c", "starting");
    const gone = agent("gone");
    store.agents.update(gone.id, { status: "done" });
    const sent = await broker.send(a.id, "*", "hello all");
    expect(sent.map((m) => m.to).sort()).toEqual([b.id, c.id].sort());
    expect(events.filter((e) => e.type === "message.created")).toHaveLength(2);
  });

  it("refuses unknown, ended and oversize sends without storing anything", async () => {
    const a = agent("a");
    const gone = agent("gone");
    store.agents.update(gone.id, { status: "killed" });
    await expect(broker.send(a.id, "nobody", "x")).rejects.toMatchObject({ code: "unknown_recipient" });
    await expect(broker.send(a.id, "gone", "x")).rejects.toMatchObject({ code: "unknown_recipient" });
    await expect(broker.send(a.id, "a", "x")).rejects.toMatchObject({ code: "unknown_recipient" });
    await expect(broker.send(null, "a", "x".repeat(64 * 1024 + 1))).rejects.toMatchObject({ code: "validation_failed" });
    expect(store.messages.list({})).toEqual([]);
    expect(events).toEqual([]);
  });
});

describe("reading", () => {
  it("read_messages returns unread messages once and marks them read", async () => {
    const a = agent("a");
    const b = agent("b");
    await broker.send(a.id, "b", "first");
    await broker.send(a.id, "b", "second");
    const read = broker.read(b.id);
    expect(read.map((m) => [m.body, m.state])).toEqual([
      ["first", "read"],
      ["second", "read"],
    ]);
    expect(read[0]!.readAt).not.toBeNull();
    expect(broker.read(b.id)).toEqual([]);
  });

  it("wait_for_message resolves as soon as a message arrives, and with nothing after its timeout", async () => {
    const a = agent("a");
    const b = agent("b");
    const waiting = broker.waitFor(b.id, 30);
    await settle();
    await broker.send(a.id, "b", "ping");
    const got = await waiting;
    expect(got.map((m) => [m.body, m.state])).toEqual([["ping", "read"]]);
    // A message read through the wait is never typed as a notice.
    terminals.idle.add(b.id);
    broker.onIdle(b.id);
    await settle();
    expect(terminals.typed).toEqual([]);
    await expect(broker.waitFor(b.id, 0.05)).resolves.toEqual([]);
  });

  it("an aborted wait_for_message lets go, and a later message stays unread for the next read", async () => {
    const a = agent("a");
    const b = agent("b");
    const controller = new AbortController();
    const waiting = broker.waitFor(b.id, 30, controller.signal);
    await settle();
    controller.abort();
    await expect(waiting).resolves.toEqual([]);
    await broker.send(a.id, "b", "after the caller left");
    expect(store.messages.list({}).map((m) => m.state)).toEqual(["queued"]);
    expect(broker.read(b.id).map((m) => m.body)).toEqual(["after the caller left"]);
    await expect(broker.waitFor(b.id, 30, controller.signal)).resolves.toEqual([]);
  });
});

describe("delivery", () => {
  it("never types a notice twice, whatever the overlap of idle moments and sweeps", async () => {
    const a = agent("a");
    const b = agent("b");
    terminals.injectDelayMs = 5;
    for (let i = 0; i < 10; i++) await broker.send(a.id, "b", `m${i}`);
    terminals.idle.add(b.id);
    for (let i = 0; i < 20; i++) {
      broker.onIdle(b.id);
      broker.sweep();
    }
    await new Promise((r) => setTimeout(r, 200));
    broker.sweep();
    await new Promise((r) => setTimeout(r, 100));
    const ids = terminals.typed.map((t) => /#(\d+)/.exec(t.text)![1]);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(store.messages.queuedFor(b.id)).toEqual([]);
    const updates = events.filter((e): e is { type: "message.updated"; data: ClustrEvent["data"] } => e.type === "message.updated");
    expect(updates).toHaveLength(10);
  });
});

describe("notices", () => {
  it("types a pending notice once at the agent's next idle moment, not into a busy one", async () => {
    const a = agent("a");
    broker.notify([a.id], "[clustr] rules updated (call get_rules)");
    broker.notify([a.id], "[clustr] rules updated (call get_rules)");
    await settle();
    expect(terminals.typed).toEqual([]);
    terminals.idle.add(a.id);
    broker.onIdle(a.id);
    broker.sweep();
    await settle();
    expect(terminals.typed).toEqual([{ agentId: a.id, text: "[clustr] rules updated (call get_rules)" }]);
  });
});

describe("failures while typing", () => {
  it("keeps a message queued when typing its notice fails, without an unhandled rejection", async () => {
    const a = agent("a");
    const b = agent("b");
    const failing = new Broker({
      messages: store.messages,
      agents: store.agents,
      delivery: { canDeliver: () => true, inject: () => Promise.reject(new Error("terminal gone")) },
      emit: () => {},
      sweepIntervalMs: 60_000,
      onDeliveryError: (agentId, error) => errors.push([agentId, (error as Error).message]),
    });
    const errors: [string, string][] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await failing.send(a.id, "b", "hello");
      await settle();
      failing.sweep();
      await settle();
      expect(errors).toEqual([
        [b.id, "terminal gone"],
        [b.id, "terminal gone"],
      ]);
      expect(store.messages.queuedFor(b.id)).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      failing.close();
    }
  });
});
