import { describe, expect, it } from "vitest";
import { applyEvent, emptyState, fromSnapshot, nameOf, withoutAgent, FILE_EVENTS_KEPT } from "../src/index.js";
import { agent, entry, ev, fileEvent, message } from "./fixtures.js";

describe("applyEvent", () => {
  it("adds an agent when it is created and replaces it when it changes", () => {
    let s = applyEvent(emptyState(), ev("agent.created", { agent: agent("aaaa", { status: "starting", activity: null }) }));
    expect(s.agents).toHaveLength(1);
    s = applyEvent(s, ev("agent.updated", { agent: agent("aaaa", { status: "running", activity: "busy" }) }));
    expect(s.agents).toEqual([agent("aaaa", { status: "running", activity: "busy" })]);
  });

  it("never brings an ended agent back from an older event", () => {
    let s = fromSnapshot({ agents: [agent("aaaa", { status: "killed" })], messages: [], context: [], files: [], rules: "" });
    s = applyEvent(s, ev("agent.updated", { agent: agent("aaaa", { status: "running" }) }));
    expect(s.agents[0]?.status).toBe("killed");
  });

  it("keeps messages in id order and moves their state forward only", () => {
    let s = emptyState();
    s = applyEvent(s, ev("message.created", { message: message(2, null, "aaaa") }));
    s = applyEvent(s, ev("message.created", { message: message(1, "aaaa", "bbbb") }));
    s = applyEvent(s, ev("message.updated", { message: message(2, null, "aaaa", { state: "read" }) }));
    s = applyEvent(s, ev("message.updated", { message: message(2, null, "aaaa", { state: "delivered" }) }));
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([[1, "queued"], [2, "read"]]);
  });

  it("sets, versions and deletes context entries by key", () => {
    let s = emptyState();
    s = applyEvent(s, ev("context.changed", { key: "b", entry: entry("b", 1) }));
    s = applyEvent(s, ev("context.changed", { key: "a", entry: entry("a", 1) }));
    s = applyEvent(s, ev("context.changed", { key: "b", entry: entry("b", 3, "new") }));
    s = applyEvent(s, ev("context.changed", { key: "b", entry: entry("b", 2, "old") }));
    expect(s.context.map((e) => [e.key, e.version, e.value])).toEqual([["a", 1, "v"], ["b", 3, "new"]]);
    s = applyEvent(s, ev("context.changed", { key: "a", entry: null }));
    expect(s.context.map((e) => e.key)).toEqual(["b"]);
  });

  it("records new rules and when they changed", () => {
    const s = applyEvent(emptyState(), { seq: 9, type: "rules.changed", at: "2026-02-02T00:00:00.000Z", data: { content: "be kind" } });
    expect(s.rules).toBe("be kind");
    expect(s.rulesChangedAt).toBe("2026-02-02T00:00:00.000Z");
  });

  it("appends file events once each and keeps only the newest ones", () => {
    let s = emptyState();
    s = applyEvent(s, ev("file.changed", { event: fileEvent(1, "a.ts") }));
    s = applyEvent(s, ev("file.changed", { event: fileEvent(1, "a.ts") }));
    expect(s.files).toHaveLength(1);
    const many = Array.from({ length: FILE_EVENTS_KEPT }, (_, i) => fileEvent(i + 2, `f${i}`));
    s = fromSnapshot({ agents: [], messages: [], context: [], files: [fileEvent(1, "a.ts"), ...many], rules: "" });
    expect(s.files).toHaveLength(FILE_EVENTS_KEPT);
    s = applyEvent(s, ev("file.changed", { event: fileEvent(FILE_EVENTS_KEPT + 5, "last") }));
    expect(s.files).toHaveLength(FILE_EVENTS_KEPT);
    expect(s.files.at(-1)?.path).toBe("last");
    expect(s.files[0]?.id).toBe(3);
  });

  it("leaves the state alone for a reset event (the caller reloads)", () => {
    const s = emptyState();
    expect(applyEvent(s, ev("reset", { reason: "too old" }))).toBe(s);
  });
});

describe("nameOf", () => {
  it("names agents, falls back to the id, and calls null the user", () => {
    const agents = [agent("aaaa")];
    expect(nameOf(agents, "aaaa")).toBe("n-aaaa");
    expect(nameOf(agents, "zzzz")).toBe("zzzz");
    expect(nameOf(agents, null)).toBe("user");
  });
});

describe("withoutAgent", () => {
  it("drops the agent and leaves the rest, and returns the same state when it is unknown", () => {
    const s = fromSnapshot({ agents: [agent("aaaa"), agent("bbbb")], messages: [], context: [], files: [], rules: "" });
    expect(withoutAgent(s, "aaaa").agents.map((a) => a.id)).toEqual(["bbbb"]);
    expect(withoutAgent(s, "zzzz")).toBe(s);
  });
});
