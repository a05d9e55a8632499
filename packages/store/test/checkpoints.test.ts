import { CheckpointSchema } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import { addAgent, tempStore } from "./helpers.js";

describe("checkpoints repository", () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await tempStore());
  });
  afterEach(() => close());

  it("inserts checkpoints, generating ids, and finds them by id, agent and folder", () => {
    const agent = addAgent(store, "a");
    const first = store.checkpoints.insert({ cwd: "/p", commit: "c1", agentId: agent.id, reason: "agent-start" });
    const second = store.checkpoints.insert({ id: "undo-1", cwd: "/p", commit: "c2", agentId: agent.id, reason: "pre-rollback" });
    const other = store.checkpoints.insert({ cwd: "/q", commit: "c3", agentId: null, reason: "manual" });
    expect(first.id).toMatch(/^[0-9a-f]{16}$/);
    expect(CheckpointSchema.parse(first)).toEqual(first);
    expect(store.checkpoints.get("undo-1")).toEqual(second);
    expect(store.checkpoints.listForAgent(agent.id)).toEqual([first, second]);
    expect(store.checkpoints.latestFor("/p")).toEqual(second);
    expect(store.checkpoints.latestFor("/q")).toEqual(other);
    expect(store.checkpoints.latestFor("/none")).toBeUndefined();
  });

  it("refuses a taken id, an unknown agent and a bad reason", () => {
    store.checkpoints.insert({ id: "x", cwd: "/p", commit: "c", agentId: null, reason: "manual" });
    expect(() => store.checkpoints.insert({ id: "x", cwd: "/p", commit: "d", agentId: null, reason: "manual" })).toThrow(
      expect.objectContaining({ code: "conflict" }),
    );
    expect(() => store.checkpoints.insert({ cwd: "/p", commit: "d", agentId: "ffffffffffffffff", reason: "manual" })).toThrow(
      expect.objectContaining({ code: "not_found" }),
    );
    expect(() => store.checkpoints.insert({ cwd: "/p", commit: "d", agentId: null, reason: "whim" as "manual" })).toThrow(
      expect.objectContaining({ code: "validation_failed" }),
    );
    expect(store.checkpoints.get("x")?.commit).toBe("c");
    expect(store.checkpoints.latestFor("/p")?.id).toBe("x");
  });

  it("keeps a checkpoint when its ended agent is removed", () => {
    const agent = addAgent(store, "a");
    const checkpoint = store.checkpoints.insert({ cwd: "/p", commit: "c", agentId: agent.id, reason: "agent-start" });
    store.agents.update(agent.id, { status: "done" });
    store.agents.remove(agent.id);
    expect(store.checkpoints.get(checkpoint.id)?.agentId).toBeNull();
  });
});
