import { describe, expect, it } from "vitest";
import {
  AgentNameSchema,
  AgentSchema,
  ContextEntrySchema,
  ContextKeySchema,
  ContextValueSchema,
  FileEventSchema,
  CheckpointSchema,
  LIMITS,
  MessageBodyTextSchema,
  MessageSchema,
  RulesContentSchema,
  TaskSchema,
  isEnded,
} from "../src/index.js";

const now = "2026-11-23T12:00:00.000Z";
const agent = {
  id: "0123456789abcdef",
  name: "lead",
  kind: "claude",
  status: "running",
  activity: "idle",
  cwd: "/home/me/app",
  task: "fix the tests",
  parentId: null,
  permissionMode: "edits",
  pid: 1234,
  exitCode: null,
  error: null,
  sessionId: null,
  checkpointId: null,
  createdAt: now,
  endedAt: null,
};

describe("agent names", () => {
  it("accept letters, digits, '-' and '_' up to 64 characters", () => {
    for (const name of ["lead", "helper-2", "a_b", "X", "9", "a".repeat(LIMITS.agentNameMaxChars)]) {
      expect(AgentNameSchema.safeParse(name).success, name).toBe(true);
    }
  });
  it("refuse empty, long, spaced, dotted, slashed and non-ASCII names", () => {
    for (const name of ["", "a".repeat(LIMITS.agentNameMaxChars + 1), "two words", "a.b", "a/b", "héllo", "*", "a\nb"]) {
      expect(AgentNameSchema.safeParse(name).success, JSON.stringify(name)).toBe(false);
    }
  });
});

describe("AgentSchema", () => {
  it("accepts a full agent and refuses unknown kinds, statuses and activities", () => {
    expect(AgentSchema.parse(agent)).toEqual(agent);
    expect(AgentSchema.safeParse({ ...agent, kind: "gpt" }).success).toBe(false);
    expect(AgentSchema.safeParse({ ...agent, status: "paused" }).success).toBe(false);
    expect(AgentSchema.safeParse({ ...agent, activity: "sleeping" }).success).toBe(false);
    expect(AgentSchema.safeParse({ ...agent, createdAt: "yesterday" }).success).toBe(false);
    expect(AgentSchema.safeParse({ ...agent, error: { code: "start_timeout", message: "m", screen: "s" } }).success).toBe(true);
  });
  it("knows which statuses are ended", () => {
    expect(["starting", "running", "done", "failed", "killed"].map((s) => isEnded(s as never))).toEqual([false, false, true, true, true]);
  });
});

describe("sizes in bytes", () => {
  it("bound message bodies at 64 KiB of UTF-8, not characters", () => {
    expect(MessageBodyTextSchema.safeParse("a".repeat(LIMITS.messageBodyMaxBytes)).success).toBe(true);
    expect(MessageBodyTextSchema.safeParse("a".repeat(LIMITS.messageBodyMaxBytes + 1)).success).toBe(false);
    // 3 bytes each: 21,846 characters are 65,538 bytes.
    expect(MessageBodyTextSchema.safeParse("€".repeat(21_846)).success).toBe(false);
    expect(MessageBodyTextSchema.safeParse("").success).toBe(false);
  });
  it("bound tasks and rules at 64 KiB", () => {
    expect(TaskSchema.safeParse("t".repeat(LIMITS.taskMaxBytes)).success).toBe(true);
    expect(TaskSchema.safeParse("t".repeat(LIMITS.taskMaxBytes + 1)).success).toBe(false);
    expect(RulesContentSchema.safeParse("r".repeat(LIMITS.rulesMaxBytes)).success).toBe(true);
    expect(RulesContentSchema.safeParse("r".repeat(LIMITS.rulesMaxBytes + 1)).success).toBe(false);
    expect(RulesContentSchema.safeParse("").success).toBe(true);
  });
  it("bound context values at 256 KiB", () => {
    expect(ContextValueSchema.safeParse("v".repeat(LIMITS.contextValueMaxBytes)).success).toBe(true);
    expect(ContextValueSchema.safeParse("v".repeat(LIMITS.contextValueMaxBytes + 1)).success).toBe(false);
    expect(ContextValueSchema.safeParse("").success).toBe(true);
  });
});

describe("context keys", () => {
  it("accept printable keys up to 256 characters", () => {
    for (const key of ["plan", "api/schema.v2", "é-clé", "a".repeat(LIMITS.contextKeyMaxChars)]) {
      expect(ContextKeySchema.safeParse(key).success, key).toBe(true);
    }
  });
  it("refuse empty, long, whitespace and control characters", () => {
    for (const key of ["", "a".repeat(LIMITS.contextKeyMaxChars + 1), "a b", "a\tb", "a\u0000", "a\u200bb"]) {
      expect(ContextKeySchema.safeParse(key).success, JSON.stringify(key)).toBe(false);
    }
  });
});

describe("messages, context entries, file events, checkpoints", () => {
  it("accept valid samples", () => {
    expect(
      MessageSchema.safeParse({ id: 12, from: null, to: agent.id, body: "hi", state: "queued", createdAt: now, deliveredAt: null, readAt: null }).success,
    ).toBe(true);
    expect(ContextEntrySchema.safeParse({ key: "plan", value: "v", author: agent.id, version: 3, updatedAt: now }).success).toBe(true);
    expect(FileEventSchema.safeParse({ id: 1, cwd: "/p", path: "src/a.ts", kind: "change", agentIds: [agent.id], at: now }).success).toBe(true);
    expect(CheckpointSchema.safeParse({ id: "c1", cwd: "/p", commit: "a".repeat(40), agentId: null, reason: "agent-start", createdAt: now }).success).toBe(true);
  });
  it("refuse wrong states, versions and kinds", () => {
    expect(
      MessageSchema.safeParse({ id: 0, from: null, to: agent.id, body: "hi", state: "queued", createdAt: now, deliveredAt: null, readAt: null }).success,
    ).toBe(false);
    expect(
      MessageSchema.safeParse({ id: 1, from: null, to: agent.id, body: "hi", state: "sent", createdAt: now, deliveredAt: null, readAt: null }).success,
    ).toBe(false);
    expect(ContextEntrySchema.safeParse({ key: "plan", value: "v", author: null, version: 0, updatedAt: now }).success).toBe(false);
    expect(FileEventSchema.safeParse({ id: 1, cwd: "/p", path: "a", kind: "rename", agentIds: [], at: now }).success).toBe(false);
    expect(CheckpointSchema.safeParse({ id: "c", cwd: "/p", commit: "x", agentId: null, reason: "whim", createdAt: now }).success).toBe(false);
  });
});
