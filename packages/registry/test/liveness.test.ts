import { makeTempDir, type TempDir } from "@clustr/test-utils";
import { openStore, type Store } from "@clustr/store";
import type { Agent } from "@clustr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Registry } from "../src/index.js";

let dir: TempDir;
let store: Store;
let changes: Agent[];
let timedOut: Agent[];
let clock: number;
let registry: Registry;

beforeEach(async () => {
  dir = await makeTempDir();
  store = openStore({ dataDir: dir.path });
  changes = [];
  timedOut = [];
  clock = 1_000_000;
  registry = new Registry({
    records: store.agents,
    onChange: (agent) => changes.push(agent),
    onHeartbeatTimeout: (agent) => timedOut.push(agent),
    heartbeatTimeoutMs: 60_000,
    checkIntervalMs: 60_000,
    now: () => clock,
  });
});

afterEach(async () => {
  registry.close();
  await store.close();
  await dir.cleanup();
});

const newAgent = () => {
  const agent = store.agents.create({ name: `a${Math.random().toString(36).slice(2, 8)}`, kind: "command", task: "t", cwd: dir.path, command: "bash" });
  registry.track(agent.id);
  return agent;
};

describe("status changes", () => {
  it("goes starting -> running -> done on exit 0, recording pid, activity and exit code", () => {
    const agent = newAgent();
    registry.spawned(agent.id, 4242);
    registry.running(agent.id);
    registry.activity(agent.id, "busy");
    registry.activity(agent.id, "busy");
    const done = registry.exited(agent.id, { exitCode: 0 });
    expect(done).toMatchObject({ status: "done", exitCode: 0, pid: 4242, activity: null, error: null });
    expect(done?.endedAt).not.toBeNull();
    expect(changes.map((a) => [a.status, a.activity])).toEqual([
      ["starting", null],
      ["running", null],
      ["running", "busy"],
      ["done", null],
    ]);
    expect(store.agents.get(agent.id)?.status).toBe("done");
  });

  it("ends as done on exit 0 even during startup, failed with the screen on a non-zero exit, killed when the user killed it", () => {
    const early = newAgent();
    expect(registry.exited(early.id, { exitCode: 0 })?.status).toBe("done");
    const crashing = newAgent();
    registry.running(crashing.id);
    expect(registry.exited(crashing.id, { exitCode: 3, screen: "Error: boom" })).toMatchObject({
      status: "failed",
      exitCode: 3,
      error: { code: "process_exited", message: "the process exited with code 3", screen: "Error: boom" },
    });
    const killed = newAgent();
    registry.running(killed.id);
    registry.killRequested(killed.id);
    expect(registry.exited(killed.id, { exitCode: null, signal: "SIGTERM" })?.status).toBe("killed");
  });

  it("never changes an ended agent again", () => {
    const agent = newAgent();
    registry.failed(agent.id, { code: "start_timeout", message: "no prompt after 60 s", screen: "?" });
    const before = changes.length;
    registry.exited(agent.id, { exitCode: 0 });
    registry.activity(agent.id, "idle");
    registry.running(agent.id);
    expect(changes.length).toBe(before);
    expect(store.agents.get(agent.id)).toMatchObject({ status: "failed", error: { code: "start_timeout" } });
  });
});

describe("heartbeats", () => {
  it("ends an agent whose bridge connected and then went silent for longer than the timeout, as done", () => {
    const silent = newAgent();
    const beating = newAgent();
    const neverConnected = newAgent();
    registry.running(silent.id);
    registry.running(beating.id);
    registry.running(neverConnected.id);
    registry.bridgeConnected(silent.id);
    registry.bridgeConnected(beating.id);
    clock += 45_000;
    registry.heartbeat(beating.id);
    registry.checkHeartbeats();
    expect(timedOut).toEqual([]);
    clock += 30_000;
    registry.checkHeartbeats();
    expect(timedOut.map((a) => a.id)).toEqual([silent.id]);
    expect(store.agents.get(silent.id)?.status).toBe("done");
    expect(store.agents.get(beating.id)?.status).toBe("running");
    expect(store.agents.get(neverConnected.id)?.status).toBe("running");
    // The process exit that follows the kill changes nothing.
    registry.exited(silent.id, { exitCode: null, signal: "SIGTERM" });
    expect(store.agents.get(silent.id)?.status).toBe("done");
  });
});
