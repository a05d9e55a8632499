import Database from "better-sqlite3";
import { MessageSchema, isClustrError } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Agent } from "@clustr/protocol";
import type { Store } from "../src/index.js";
import { addAgent, tempStore } from "./helpers.js";

async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isClustrError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("messages repository", () => {
  let store: Store;
  let close: () => Promise<void>;
  let a: Agent;
  let b: Agent;
  let c: Agent;
  beforeEach(async () => {
    ({ store, close } = await tempStore());
    a = addAgent(store, "a");
    b = addAgent(store, "b");
    c = addAgent(store, "c");
  });
  afterEach(() => close());

  it("stores a send as queued messages with ids and ISO times, readable back", async () => {
    const [message] = await store.messages.send([{ from: a.id, to: b.id, body: "hello" }]);
    expect(message).toMatchObject({ from: a.id, to: b.id, body: "hello", state: "queued", deliveredAt: null, readAt: null });
    expect(MessageSchema.parse(message)).toEqual(message);
    expect(store.messages.get(message!.id)).toEqual(message);
    const fromUser = await store.messages.send([{ from: null, to: a.id, body: "from the user" }]);
    expect(fromUser[0]?.from).toBeNull();
  });

  it("puts sends arriving together into one group commit, each acknowledged with its own rows", async () => {
    const before = store.groupCommitStats.groups;
    const sends = Array.from({ length: 50 }, (_, i) => store.messages.send([{ from: a.id, to: b.id, body: `n${i}` }]));
    const results = await Promise.all(sends);
    expect(store.groupCommitStats.groups - before).toBe(1);
    results.forEach((rows, i) => expect(rows.map((m) => m.body)).toEqual([`n${i}`]));
    const ids = results.map((rows) => rows[0]!.id);
    expect(new Set(ids).size).toBe(50);
    expect(store.messages.list({ agent: b.id, limit: 100 }).map((m) => m.body)).toEqual(results.map((rows) => rows[0]!.body));
  });

  it("acknowledges a send only once it is committed: another connection sees it then, not before", async () => {
    const window = await tempStore({ groupCommitWindowMs: 200 });
    const other = new Database(window.file, { readonly: true });
    try {
      const x = addAgent(window.store, "x");
      const count = () => (other.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
      let acknowledged = false;
      const pending = window.store.messages.send([{ from: null, to: x.id, body: "wait for it" }]).then((rows) => {
        acknowledged = true;
        return rows;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(acknowledged).toBe(false);
      expect(count()).toBe(0);
      const [message] = await pending;
      expect(count()).toBe(1);
      expect(other.prepare("SELECT body FROM messages WHERE id = ?").get(message!.id)).toEqual({ body: "wait for it" });
    } finally {
      other.close();
      await window.close();
    }
  });

  it("groups sends issued in the same turn of the event loop when the window is 0", async () => {
    const immediate = await tempStore({ groupCommitWindowMs: 0 });
    try {
      const x = addAgent(immediate.store, "x");
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => immediate.store.messages.send([{ from: null, to: x.id, body: `${i}` }])));
      expect(immediate.store.groupCommitStats).toEqual({ groups: 1, jobs: 10 });
      expect(results.flat().map((m) => m.body)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    } finally {
      await immediate.close();
    }
  });

  it("stores a broadcast all-or-nothing: one unknown recipient fails it alone, not its group", async () => {
    const good = store.messages.send([{ from: a.id, to: b.id, body: "fine" }]);
    const broadcast = store.messages.send([
      { from: a.id, to: b.id, body: "to all" },
      { from: a.id, to: c.id, body: "to all" },
      { from: a.id, to: "ffffffffffffffff", body: "to all" },
    ]);
    const alsoGood = store.messages.send([{ from: c.id, to: a.id, body: "also fine" }]);
    expect(await rejection(broadcast)).toBe("unknown_recipient");
    expect((await good)[0]?.body).toBe("fine");
    expect((await alsoGood)[0]?.body).toBe("also fine");
    expect(store.messages.list().map((m) => m.body)).toEqual(["fine", "also fine"]);
  });

  it("rejects an unknown sender and bad input with clear codes and stores nothing", async () => {
    expect(await rejection(store.messages.send([{ from: "ffffffffffffffff", to: b.id, body: "x" }]))).toBe("unknown_recipient");
    expect(await rejection(store.messages.send([{ from: a.id, to: b.id, body: "" }]))).toBe("validation_failed");
    expect(await rejection(store.messages.send([{ from: a.id, to: "Not An Id", body: "x" }]))).toBe("validation_failed");
    expect(await rejection(store.messages.send([{ from: a.id, to: b.id, body: "x".repeat(64 * 1024 + 1) }]))).toBe("validation_failed");
    expect(await rejection(store.messages.send([]))).toBe("validation_failed");
    expect(store.messages.list()).toEqual([]);
  });

  it("lists oldest first, by agent (from or to), after an id, within a limit", async () => {
    const m1 = (await store.messages.send([{ from: a.id, to: b.id, body: "1" }]))[0]!;
    const m2 = (await store.messages.send([{ from: b.id, to: c.id, body: "2" }]))[0]!;
    const m3 = (await store.messages.send([{ from: c.id, to: a.id, body: "3" }]))[0]!;
    expect(store.messages.list().map((m) => m.id)).toEqual([m1.id, m2.id, m3.id]);
    expect(store.messages.list({ agent: a.id }).map((m) => m.id)).toEqual([m1.id, m3.id]);
    expect(store.messages.list({ agent: b.id, after: m1.id }).map((m) => m.id)).toEqual([m2.id]);
    expect(store.messages.list({ limit: 2 }).map((m) => m.id)).toEqual([m1.id, m2.id]);
    expect(() => store.messages.list({ limit: 0 })).toThrow(expect.objectContaining({ code: "validation_failed" }));
    expect(() => store.messages.list({ limit: 10_001 })).toThrow(expect.objectContaining({ code: "validation_failed" }));
    expect(() => store.messages.list({ after: -1 })).toThrow(expect.objectContaining({ code: "validation_failed" }));
  });

  it("moves messages queued -> delivered -> read, returning only the ones that changed", async () => {
    const [m1, m2, m3] = await store.messages.send([
      { from: a.id, to: b.id, body: "1" },
      { from: a.id, to: b.id, body: "2" },
      { from: a.id, to: b.id, body: "3" },
    ]);
    expect(store.messages.queuedFor(b.id).map((m) => m.id)).toEqual([m1!.id, m2!.id, m3!.id]);

    const delivered = store.messages.markDelivered([m1!.id, m2!.id]);
    expect(delivered.map((m) => [m.id, m.state])).toEqual([
      [m1!.id, "delivered"],
      [m2!.id, "delivered"],
    ]);
    expect(delivered[0]?.deliveredAt).not.toBeNull();
    expect(store.messages.markDelivered([m1!.id])).toEqual([]);
    expect(store.messages.queuedFor(b.id).map((m) => m.id)).toEqual([m3!.id]);

    // Read implies delivered, also for a message read straight from the queue.
    const read = store.messages.markRead([m1!.id, m3!.id]);
    expect(read.map((m) => m.state)).toEqual(["read", "read"]);
    expect(read[1]?.deliveredAt).not.toBeNull();
    expect(read[1]?.readAt).not.toBeNull();
    expect(read[0]?.deliveredAt).toBe(delivered[0]?.deliveredAt);
    expect(store.messages.markRead([m1!.id])).toEqual([]);
    expect(store.messages.unreadFor(b.id).map((m) => m.id)).toEqual([m2!.id]);
    expect(store.messages.unreadFor(a.id)).toEqual([]);
    expect(() => store.messages.markRead([0])).toThrow(expect.objectContaining({ code: "validation_failed" }));
  });
});
