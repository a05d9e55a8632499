import { createHash } from "node:crypto";
import { AgentSchema, isClustrError, type ErrorCode } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import { addAgent, tempStore } from "./helpers.js";

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (isClustrError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("agents repository", () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await tempStore());
  });
  afterEach(() => close());

  it("creates an agent with a 16-hex id, status starting and an ISO createdAt, as a wire Agent", () => {
    const agent = store.agents.create({ name: "lead", kind: "claude", task: "build it", cwd: "/work" });
    expect(agent.id).toMatch(/^[0-9a-f]{16}$/);
    expect(agent.status).toBe("starting");
    expect(agent.permissionMode).toBe("edits");
    expect(Date.parse(agent.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(AgentSchema.parse(agent)).toEqual(agent);
    expect(store.agents.get(agent.id)).toEqual(agent);
    expect(store.agents.create({ name: "other", kind: "claude", task: "t", cwd: "/" }).id).not.toBe(agent.id);
  });

  it("keeps command, args, images, depth and the token hash beside the wire agent", () => {
    const hash = createHash("sha256").update("secret-token").digest("hex");
    const parent = addAgent(store, "parent");
    const child = store.agents.create({
      name: "child",
      kind: "command",
      task: "t",
      cwd: "/",
      parentId: parent.id,
      command: "node",
      args: ["-e", "1"],
      images: ["a".repeat(64) + ".png"],
      depth: 2,
      tokenHash: hash,
    });
    const internals = store.agents.getInternal(child.id);
    expect(internals).toEqual({
      agent: child,
      command: "node",
      args: ["-e", "1"],
      images: ["a".repeat(64) + ".png"],
      depth: 2,
      tokenHash: hash,
      processStartTime: null,
    });
    store.agents.update(child.id, { pid: 4242, processStartTime: "12345678" });
    expect(store.agents.getInternal(child.id)).toMatchObject({ processStartTime: "12345678", agent: { pid: 4242 } });
    expect(store.agents.findByTokenHash(hash)?.agent.id).toBe(child.id);
    expect(store.agents.findByTokenHash("0".repeat(64))).toBeUndefined();
    expect(Object.keys(child)).not.toContain("tokenHash");
    expect(child.parentId).toBe(parent.id);
  });

  it("refuses a name held by a live agent with name_taken, and frees it once that agent ended", () => {
    const first = addAgent(store, "worker");
    expect(codeOf(() => addAgent(store, "worker"))).toBe("name_taken");
    expect(store.agents.list()).toHaveLength(1);
    store.agents.update(first.id, { status: "done" });
    const second = addAgent(store, "worker");
    expect(second.id).not.toBe(first.id);
    expect(store.agents.getByName("worker")?.id).toBe(second.id);
    store.agents.update(second.id, { status: "killed" });
    const third = addAgent(store, "worker");
    store.agents.update(third.id, { status: "failed" });
    // No live one: the most recent.
    expect(store.agents.getByName("worker")?.id).toBe(third.id);
    expect(store.agents.getByName("nobody")).toBeUndefined();
  });

  it("validates input with validation_failed and writes nothing", () => {
    expect(codeOf(() => addAgent(store, "bad name"))).toBe("validation_failed");
    expect(codeOf(() => store.agents.create({ name: "k", kind: "bash" as "command", task: "", cwd: "/" }))).toBe("validation_failed");
    expect(codeOf(() => store.agents.create({ name: "k", kind: "command", task: "", cwd: "/", depth: 0 }))).toBe("validation_failed");
    expect(codeOf(() => store.agents.create({ name: "k", kind: "command", task: "", cwd: "/", tokenHash: "nothex" }))).toBe("validation_failed");
    expect(codeOf(() => addAgent(store, "orphan", { parentId: "ffffffffffffffff" }))).toBe("not_found");
    expect(store.agents.list()).toEqual([]);
  });

  it("updates fields and returns the new agent; ending sets endedAt and clears activity", () => {
    const agent = addAgent(store, "a");
    const running = store.agents.update(agent.id, { status: "running", activity: "busy", pid: 1234, sessionId: "s-1" });
    expect(running).toMatchObject({ status: "running", activity: "busy", pid: 1234, sessionId: "s-1", endedAt: null });
    const failed = store.agents.update(agent.id, {
      status: "failed",
      exitCode: 3,
      error: { code: "process_exited", message: "exited with 3", screen: "$ " },
    });
    expect(failed.status).toBe("failed");
    expect(failed.activity).toBeNull();
    expect(failed.exitCode).toBe(3);
    expect(failed.error).toEqual({ code: "process_exited", message: "exited with 3", screen: "$ " });
    expect(failed.endedAt).not.toBeNull();
    expect(store.agents.get(agent.id)).toEqual(failed);
  });

  it("never brings an ended agent back to life, and reports unknown ids", () => {
    const agent = addAgent(store, "a");
    store.agents.update(agent.id, { status: "done" });
    expect(codeOf(() => store.agents.update(agent.id, { status: "running" }))).toBe("conflict");
    expect(store.agents.get(agent.id)?.status).toBe("done");
    expect(codeOf(() => store.agents.update("ffffffffffffffff", { pid: 1 }))).toBe("not_found");
    expect(codeOf(() => store.agents.update(agent.id, { pid: 1.5 }))).toBe("validation_failed");
    expect(codeOf(() => store.agents.update(agent.id, { endedAt: "yesterday" }))).toBe("validation_failed");
  });

  it("lists all agents oldest first and the live ones apart", () => {
    const a = addAgent(store, "a");
    const b = addAgent(store, "b");
    const c = addAgent(store, "c");
    store.agents.update(b.id, { status: "done" });
    store.agents.update(c.id, { status: "running" });
    expect(store.agents.list().map((x) => x.id)).toEqual([a.id, b.id, c.id]);
    expect(store.agents.listLive().map((x) => x.id)).toEqual([a.id, c.id]);
  });

  it("removes only ended agents, with their messages", async () => {
    const a = addAgent(store, "a");
    const b = addAgent(store, "b");
    const [message] = await store.messages.send([{ from: a.id, to: b.id, body: "hi" }]);
    expect(codeOf(() => store.agents.remove(a.id))).toBe("agent_not_ended");
    expect(store.agents.get(a.id)).toBeDefined();
    store.agents.update(a.id, { status: "killed" });
    store.agents.remove(a.id);
    expect(store.agents.get(a.id)).toBeUndefined();
    expect(store.messages.get(message!.id)).toBeUndefined();
    expect(codeOf(() => store.agents.remove(a.id))).toBe("not_found");
  });

  it("keeps a child when its ended parent is removed, without the parent link", () => {
    const parent = addAgent(store, "p");
    const child = addAgent(store, "c", { parentId: parent.id });
    store.agents.update(parent.id, { status: "done" });
    store.agents.remove(parent.id);
    expect(store.agents.get(child.id)?.parentId).toBeNull();
  });
});
