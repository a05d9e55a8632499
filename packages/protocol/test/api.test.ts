import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  ERROR_STATUS,
  ClustrError,
  ClustrEventSchema,
  EventsQuerySchema,
  FilesQuerySchema,
  ImageIdSchema,
  InputBodySchema,
  LIMITS,
  MessagesQuerySchema,
  PutContextBodySchema,
  RollbackBodySchema,
  RulesBodySchema,
  SendMessageBodySchema,
  ServerInfoSchema,
  SpawnAgentBodySchema,
  TerminalClientMessageSchema,
  isClustrError,
} from "../src/index.js";

describe("SpawnAgentBodySchema", () => {
  const base = { name: "lead", kind: "claude", task: "do it", cwd: "/home/me/app" } as const;
  it("accepts claude, codex and command spawns", () => {
    expect(SpawnAgentBodySchema.safeParse(base).success).toBe(true);
    expect(SpawnAgentBodySchema.safeParse({ ...base, kind: "codex", permissionMode: "bypass" }).success).toBe(true);
    expect(SpawnAgentBodySchema.safeParse({ ...base, kind: "command", command: "bash", args: ["--norc"] }).success).toBe(true);
    expect(SpawnAgentBodySchema.safeParse({ ...base, images: ["a".repeat(64) + ".png"] }).success).toBe(true);
  });
  it("refuses what cannot run: relative cwd, command without `command`, `command` on claude, unknown fields", () => {
    expect(SpawnAgentBodySchema.safeParse({ ...base, cwd: "app" }).success).toBe(false);
    expect(SpawnAgentBodySchema.safeParse({ ...base, kind: "command" }).success).toBe(false);
    expect(SpawnAgentBodySchema.safeParse({ ...base, command: "bash" }).success).toBe(false);
    expect(SpawnAgentBodySchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(SpawnAgentBodySchema.safeParse({ ...base, permissionMode: "yolo" }).success).toBe(false);
    expect(SpawnAgentBodySchema.safeParse({ ...base, task: "t".repeat(LIMITS.taskMaxBytes + 1) }).success).toBe(false);
    expect(SpawnAgentBodySchema.safeParse({ ...base, images: ["../../etc/passwd"] }).success).toBe(false);
    expect(
      SpawnAgentBodySchema.safeParse({ ...base, images: Array.from({ length: LIMITS.imagesPerSpawnMax + 1 }, () => "a".repeat(64) + ".png") }).success,
    ).toBe(false);
  });
});

describe("list queries", () => {
  it("coerce query-string numbers and default limit to 100", () => {
    expect(MessagesQuerySchema.parse({})).toEqual({ limit: 100 });
    expect(MessagesQuerySchema.parse({ after: "12", limit: "10000", agent: "lead" })).toEqual({ after: 12, limit: 10_000, agent: "lead" });
    expect(FilesQuerySchema.parse({ limit: "1" }).limit).toBe(1);
  });
  it("refuse limits beyond 10,000 or below 1, negative `after`, unknown parameters", () => {
    expect(MessagesQuerySchema.safeParse({ limit: "10001" }).success).toBe(false);
    expect(MessagesQuerySchema.safeParse({ limit: "0" }).success).toBe(false);
    expect(MessagesQuerySchema.safeParse({ after: "-1" }).success).toBe(false);
    expect(MessagesQuerySchema.safeParse({ limit: "ten" }).success).toBe(false);
    expect(FilesQuerySchema.safeParse({ token: "x" }).success).toBe(false);
    expect(EventsQuerySchema.parse({ since: "42" })).toEqual({ since: 42 });
  });
});

describe("request bodies", () => {
  it("send: a name, an id or '*'", () => {
    for (const to of ["lead", "0123456789abcdef", "*"]) expect(SendMessageBodySchema.safeParse({ to, body: "hi" }).success).toBe(true);
    expect(SendMessageBodySchema.safeParse({ to: "two words", body: "hi" }).success).toBe(false);
    expect(SendMessageBodySchema.safeParse({ to: "lead", body: "" }).success).toBe(false);
  });
  it("input defaults submit to true", () => {
    expect(InputBodySchema.parse({ text: "ls" })).toEqual({ text: "ls", submit: true });
    expect(InputBodySchema.safeParse({ text: "x".repeat(LIMITS.inputMaxBytes + 1) }).success).toBe(false);
  });
  it("context puts, rules and rollbacks", () => {
    expect(PutContextBodySchema.safeParse({ value: "v", version: 2 }).success).toBe(true);
    expect(PutContextBodySchema.safeParse({ value: "v", version: 0 }).success).toBe(false);
    expect(RulesBodySchema.safeParse({ content: "# rules" }).success).toBe(true);
    expect(RollbackBodySchema.safeParse({ preview: true, paths: ["src/a.ts"] }).success).toBe(true);
    expect(RollbackBodySchema.safeParse({ paths: ["../outside"] }).success).toBe(false);
    expect(RollbackBodySchema.safeParse({ paths: ["/etc/passwd"] }).success).toBe(false);
    expect(RollbackBodySchema.safeParse({ paths: [] }).success).toBe(false);
  });
  it("images are content-hash names of the four allowed types", () => {
    expect(ImageIdSchema.safeParse("f".repeat(64) + ".webp").success).toBe(true);
    expect(ImageIdSchema.safeParse("f".repeat(64) + ".svg").success).toBe(false);
  });
  it("terminal messages: input, bounded resize and a whole, non-negative ack", () => {
    expect(TerminalClientMessageSchema.safeParse({ type: "ack", bytes: 0 }).success).toBe(true);
    expect(TerminalClientMessageSchema.safeParse({ type: "ack", bytes: 5 * 1024 * 1024 * 1024 }).success).toBe(true);
    expect(TerminalClientMessageSchema.safeParse({ type: "ack", bytes: -1 }).success).toBe(false);
    expect(TerminalClientMessageSchema.safeParse({ type: "ack", bytes: 1.5 }).success).toBe(false);
    expect(TerminalClientMessageSchema.safeParse({ type: "ack" }).success).toBe(false);
    expect(TerminalClientMessageSchema.safeParse({ type: "resize", cols: 120, rows: 40 }).success).toBe(true);
    expect(TerminalClientMessageSchema.safeParse({ type: "resize", cols: 0, rows: 40 }).success).toBe(false);
    expect(TerminalClientMessageSchema.safeParse({ type: "input", data: "ls\r" }).success).toBe(true);
    expect(TerminalClientMessageSchema.safeParse({ type: "paste" }).success).toBe(false);
  });
  it("server.json holds the bare loopback origin and a long token", () => {
    expect(ServerInfoSchema.safeParse({ pid: 1, port: 4000, url: "http://127.0.0.1:4000", token: "x".repeat(32) }).success).toBe(true);
    expect(ServerInfoSchema.safeParse({ pid: 1, port: 4000, url: "http://localhost:4000", token: "x".repeat(32) }).success).toBe(false);
    expect(ServerInfoSchema.safeParse({ pid: 1, port: 4000, url: "http://127.0.0.1:4000", token: "short" }).success).toBe(false);
  });
});

describe("events", () => {
  it("parse each type with its payload and refuse a mismatched payload", () => {
    const at = "2026-11-23T12:00:00.000Z";
    expect(ClustrEventSchema.safeParse({ seq: 1, type: "rules.changed", at, data: { content: "x" } }).success).toBe(true);
    expect(ClustrEventSchema.safeParse({ seq: 2, type: "context.changed", at, data: { key: "k", entry: null } }).success).toBe(true);
    expect(ClustrEventSchema.safeParse({ seq: 3, type: "reset", at, data: { reason: "r" } }).success).toBe(true);
    expect(ClustrEventSchema.safeParse({ seq: 4, type: "agent.created", at, data: { content: "x" } }).success).toBe(false);
    expect(ClustrEventSchema.safeParse({ seq: 5, type: "terminal.data", at, data: {} }).success).toBe(false);
  });
});

describe("errors", () => {
  it("map every code to an HTTP status", () => {
    for (const code of ERROR_CODES) expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(ERROR_STATUS.version_conflict).toBe(409);
    expect(ERROR_STATUS.cli_not_found).toBe(422);
  });
  it("ClustrError carries its code and serialises to the wire form", () => {
    const error = new ClustrError("cli_not_found", "claude is not installed", { hint: "npm i -g @anthropic-ai/claude-code" });
    expect(isClustrError(error)).toBe(true);
    expect(isClustrError(new Error("x"))).toBe(false);
    expect(error.toBody()).toEqual({ error: { code: "cli_not_found", message: "claude is not installed", hint: "npm i -g @anthropic-ai/claude-code" } });
  });
});
