import type { Agent, ClustrEvent, ContextEntry, FileEvent, Message } from "@clustr/protocol";

// Sample wire objects for the unit tests.
const T = "2026-01-01T10:00:00.000Z";

export function agent(id: string, over: Partial<Agent> = {}): Agent {
  return {
    id, name: `n-${id}`, kind: "command", status: "running", activity: "idle", cwd: "/w", task: "t", parentId: null,
    permissionMode: "edits", pid: 1, exitCode: null, error: null, sessionId: null, checkpointId: null, createdAt: T, endedAt: null,
    ...over,
  };
}

export function message(id: number, from: string | null, to: string, over: Partial<Message> = {}): Message {
  return { id, from, to, body: `b${id}`, state: "queued", createdAt: T, deliveredAt: null, readAt: null, ...over };
}

export function entry(key: string, version: number, value = "v"): ContextEntry {
  return { key, value, author: null, version, updatedAt: T };
}

export function fileEvent(id: number, path: string, agentIds: string[] = []): FileEvent {
  return { id, cwd: "/w", path, kind: "change", agentIds, at: T };
}

let seq = 0;
export function ev<T extends ClustrEvent["type"]>(type: T, data: Extract<ClustrEvent, { type: T }>["data"]): ClustrEvent {
  return { seq: ++seq, type, at: T, data } as ClustrEvent;
}

