import { FileEventSchema, isClustrError } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import { tempStore } from "./helpers.js";

describe("file events repository", () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await tempStore());
  });
  afterEach(() => close());

  it("inserts events with their agents and lists them oldest first, by agent, after an id", () => {
    const e1 = store.fileEvents.insert({ cwd: "/p", path: "a.ts", kind: "add", agentIds: ["aaaa1111", "bbbb2222"] });
    const e2 = store.fileEvents.insert({ cwd: "/p", path: "b.ts", kind: "change", agentIds: ["bbbb2222"] });
    const e3 = store.fileEvents.insert({ cwd: "/p", path: "c.ts", kind: "unlink", agentIds: [] });
    expect(FileEventSchema.parse(e1)).toEqual(e1);
    expect(e1.agentIds).toEqual(["aaaa1111", "bbbb2222"]);
    expect(store.fileEvents.list()).toEqual([e1, e2, e3]);
    expect(store.fileEvents.list({ agent: "bbbb2222" })).toEqual([e1, e2]);
    expect(store.fileEvents.list({ agent: "aaaa1111" })).toEqual([e1]);
    expect(store.fileEvents.list({ agent: "bbbb2222", after: e1.id })).toEqual([e2]);
    expect(store.fileEvents.list({ after: e1.id, limit: 1 })).toEqual([e2]);
  });

  it("inserts many in one transaction: one bad event stores none", () => {
    const bad = [
      { cwd: "/p", path: "ok.ts", kind: "add" as const, agentIds: [] },
      { cwd: "/p", path: "bad.ts", kind: "rename" as "add", agentIds: [] },
    ];
    let code: string | undefined;
    try {
      store.fileEvents.insertMany(bad);
    } catch (error) {
      code = isClustrError(error) ? error.code : undefined;
    }
    expect(code).toBe("validation_failed");
    expect(store.fileEvents.list()).toEqual([]);
    const events = store.fileEvents.insertMany([
      { cwd: "/p", path: "x", kind: "add", agentIds: ["aaaa1111"] },
      { cwd: "/p", path: "y", kind: "add", agentIds: ["aaaa1111"], at: "2026-01-02T03:04:05.000Z" },
    ]);
    expect(events.map((e) => e.path)).toEqual(["x", "y"]);
    expect(events[1]?.at).toBe("2026-01-02T03:04:05.000Z");
    expect(store.fileEvents.list({ agent: "aaaa1111" })).toEqual(events);
  });

  it("rejects bad agent ids and empty paths", () => {
    expect(() => store.fileEvents.insert({ cwd: "/p", path: "", kind: "add", agentIds: [] })).toThrow(expect.objectContaining({ code: "validation_failed" }));
    expect(() => store.fileEvents.insert({ cwd: "/p", path: "x", kind: "add", agentIds: ["NO!"] })).toThrow(
      expect.objectContaining({ code: "validation_failed" }),
    );
    expect(store.fileEvents.list()).toEqual([]);
  });
});
