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

  it("lists the events inside a folder: its own, its subfolders', and a containing folder's under it", () => {
    const own = store.fileEvents.insert({ cwd: "/w/app", path: "a.ts", kind: "add", agentIds: [] });
    const nested = store.fileEvents.insert({ cwd: "/w/app/lib", path: "b.ts", kind: "add", agentIds: [] });
    const fromParent = store.fileEvents.insert({ cwd: "/w", path: "app/c.ts", kind: "change", agentIds: [] });
    const fromRoot = store.fileEvents.insert({ cwd: "/", path: "w/app/d/e.ts", kind: "change", agentIds: [] });
    // Neighbours whose names share the prefix, and the parent's own files, stay out.
    store.fileEvents.insert({ cwd: "/w/app-2", path: "a.ts", kind: "add", agentIds: [] });
    store.fileEvents.insert({ cwd: "/w/app.old", path: "a.ts", kind: "add", agentIds: [] });
    store.fileEvents.insert({ cwd: "/w", path: "app-2/c.ts", kind: "add", agentIds: [] });
    store.fileEvents.insert({ cwd: "/w", path: "app", kind: "add", agentIds: [] });
    store.fileEvents.insert({ cwd: "/w", path: "top.ts", kind: "add", agentIds: [] });
    expect(store.fileEvents.list({ cwd: "/w/app" })).toEqual([own, nested, fromParent, fromRoot]);
    expect(store.fileEvents.list({ cwd: "/w/app/" })).toEqual([own, nested, fromParent, fromRoot]);
    expect(store.fileEvents.list({ cwd: "/w/app/lib" })).toEqual([nested]);
    expect(store.fileEvents.list({ cwd: "/" })).toHaveLength(9);
    expect(store.fileEvents.list({ cwd: "/w/app", after: nested.id, limit: 1 })).toEqual([fromParent]);
  });

  it("lists the events from a time on, combined with the folder and agent filters", () => {
    const at = (s: number) => `2026-03-01T10:00:0${s}.000Z`;
    const early = store.fileEvents.insert({ cwd: "/p", path: "a", kind: "add", agentIds: ["aaaa1111"], at: at(1) });
    const onTime = store.fileEvents.insert({ cwd: "/p", path: "b", kind: "add", agentIds: ["aaaa1111"], at: at(2) });
    const elsewhere = store.fileEvents.insert({ cwd: "/q", path: "c", kind: "add", agentIds: ["aaaa1111"], at: at(3) });
    // Stored out of time order: the filter is on `at`, not on insertion order.
    const late = store.fileEvents.insert({ cwd: "/p", path: "d", kind: "add", agentIds: [], at: at(4) });
    const backdated = store.fileEvents.insert({ cwd: "/p", path: "e", kind: "add", agentIds: ["aaaa1111"], at: at(0) });
    expect(store.fileEvents.list({ since: at(2) })).toEqual([onTime, elsewhere, late]);
    // Any ISO 8601 spelling of the instant is compared as the stored form.
    expect(store.fileEvents.list({ since: "2026-03-01T12:00:02+02:00" })).toEqual([onTime, elsewhere, late]);
    expect(store.fileEvents.list({ cwd: "/p", since: at(2) })).toEqual([onTime, late]);
    expect(store.fileEvents.list({ cwd: "/p", since: at(2), agent: "aaaa1111" })).toEqual([onTime]);
    expect(store.fileEvents.list({ cwd: "/p", agent: "aaaa1111" })).toEqual([early, onTime, backdated]);
    expect(store.fileEvents.list({ since: at(5) })).toEqual([]);
  });

  it("rejects a relative folder and a time that is not one", () => {
    store.fileEvents.insert({ cwd: "/p", path: "a", kind: "add", agentIds: [] });
    expect(() => store.fileEvents.list({ cwd: "p" })).toThrow(expect.objectContaining({ code: "validation_failed", data: { field: "cwd" } }));
    expect(() => store.fileEvents.list({ since: "yesterday" })).toThrow(expect.objectContaining({ code: "validation_failed", data: { field: "since" } }));
  });
});
